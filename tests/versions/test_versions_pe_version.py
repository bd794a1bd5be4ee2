"""ExSetup.exe version reading. The PE files here are synthetic: built byte by byte in the test."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from lekdicht.versions.pe_version import PeVersionError, read_pe_version


def fixed_file_info(major: int, minor: int, build: int, rev: int) -> bytes:
    ms, ls = (major << 16) | minor, (build << 16) | rev
    return struct.pack("<13I", 0xFEEF04BD, 0x10000, ms, ls, ms, ls, 0x3F, 0, 0x40004, 1, 0, 0, 0)


def version_resource(version: tuple[int, int, int, int]) -> bytes:
    key = "VS_VERSION_INFO\0".encode("utf-16-le")
    head = struct.pack("<HHH", 0, 52, 0) + key
    head += b"\0" * (-len(head) % 4)
    body = head + fixed_file_info(*version)
    return struct.pack("<H", len(body)) + body[2:]


def synthetic_pe(version: tuple[int, int, int, int] = (15, 1, 2176, 9)) -> bytes:
    """A minimal PE32 with one .rsrc section holding an RT_VERSION resource."""
    rsrc_rva, rsrc_raw = 0x1000, 0x200
    ver = version_resource(version)
    res = bytearray()
    res += struct.pack("<IIHHHH", 0, 0, 0, 0, 0, 1) + struct.pack("<II", 16, 0x80000000 | 0x18)
    res += struct.pack("<IIHHHH", 0, 0, 0, 0, 0, 1) + struct.pack("<II", 1, 0x80000000 | 0x30)
    res += struct.pack("<IIHHHH", 0, 0, 0, 0, 0, 1) + struct.pack("<II", 0x409, 0x48)
    res += struct.pack("<IIII", rsrc_rva + 0x58, len(ver), 0, 0)
    res += b"\0" * (0x58 - len(res)) + ver
    dos = bytearray(b"MZ" + b"\0" * 62)
    struct.pack_into("<I", dos, 0x3C, 0x40)
    coff = struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 224, 0x102)
    opt = bytearray(224)
    struct.pack_into("<H", opt, 0, 0x10B)
    struct.pack_into("<I", opt, 92, 16)
    struct.pack_into("<II", opt, 96 + 2 * 8, rsrc_rva, len(res))
    section = struct.pack(
        "<8sIIIIIIHHI", b".rsrc", len(res), rsrc_rva, len(res), rsrc_raw, 0, 0, 0, 0, 0x40000040
    )
    image = bytearray(dos + b"PE\0\0" + coff + opt + section)
    image += b"\0" * (rsrc_raw - len(image))
    return bytes(image + res)


def test_reads_file_version_through_the_resource_directory(tmp_path: Path) -> None:
    path = tmp_path / "ExSetup.exe"
    path.write_bytes(synthetic_pe((15, 1, 2176, 9)))
    v = read_pe_version(path)
    assert v.file_version == "15.1.2176.9"
    assert v.product_version == "15.1.2176.9"
    assert v.method == "resource"


def test_falls_back_to_the_signature_search() -> None:
    blob = b"MZ" + b"\0" * 100 + version_resource((15, 2, 1748, 49)) + b"\0" * 16  # PE-like, no PE header
    v = read_pe_version(blob)
    assert v.file_version == "15.2.1748.49"
    assert v.method == "signature"


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "too small"),
        (b"ELF" + b"\0" * 100, "no MZ header"),
        (b"MZ" + b"\0" * 200, "no VS_FIXEDFILEINFO"),
        (b"MZ" + b"\0" * 100 + struct.pack("<I", 0xFEEF04BD) + b"\0" * 8, "truncated"),
    ],
)
def test_malformed_files_give_clear_errors(blob: bytes, message: str) -> None:
    with pytest.raises(PeVersionError, match=message):
        read_pe_version(blob)


def test_truncated_resource_section_still_errors_cleanly() -> None:
    pe = synthetic_pe()
    with pytest.raises(PeVersionError):
        read_pe_version(pe[: 0x200 + 0x20])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PeVersionError, match="cannot read"):
        read_pe_version(tmp_path / "nope.exe")
