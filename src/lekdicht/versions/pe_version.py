"""Read the file version of a PE file (e.g. ``ExSetup.exe``) without executing it.

First the PE resource directory is walked to the RT_VERSION resource; if that fails (damaged or
unusual file) the bytes are searched for the ``VS_FIXEDFILEINFO`` signature ``0xFEEF04BD``, as
most forensic tools do. Any problem raises :class:`PeVersionError` with a clear message.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MAX_PE_SIZE", "PeVersion", "PeVersionError", "read_pe_version"]

MAX_PE_SIZE = 512 * 1024 * 1024
"""Files above this size are refused (ExSetup.exe is well below 10 MB)."""

_FIXED_SIG = struct.pack("<I", 0xFEEF04BD)
_VS_KEY = "VS_VERSION_INFO".encode("utf-16-le")
_RT_VERSION = 16


class PeVersionError(ValueError):
    """The file is not a readable PE file with a version resource."""


@dataclass(frozen=True, slots=True)
class PeVersion:
    """Versions from VS_FIXEDFILEINFO."""

    file_version: str
    product_version: str
    method: str
    """``resource`` (found by walking the resource directory) or ``signature`` (byte search)."""
    offset: int

    def to_json(self) -> dict[str, Any]:
        return {
            "file_version": self.file_version,
            "product_version": self.product_version,
            "method": self.method,
            "offset": self.offset,
        }


def _u16(data: bytes, off: int) -> int:
    if off < 0 or off + 2 > len(data):
        raise PeVersionError(f"truncated file: need 2 bytes at offset {off}")
    return int(struct.unpack_from("<H", data, off)[0])


def _u32(data: bytes, off: int) -> int:
    if off < 0 or off + 4 > len(data):
        raise PeVersionError(f"truncated file: need 4 bytes at offset {off}")
    return int(struct.unpack_from("<I", data, off)[0])


def _fixed_info(data: bytes, off: int, method: str) -> PeVersion:
    if off + 52 > len(data):
        raise PeVersionError(f"truncated VS_FIXEDFILEINFO at offset {off}")
    sig, _struc, fms, fls, pms, pls = struct.unpack_from("<6I", data, off)
    if sig != 0xFEEF04BD:
        raise PeVersionError(f"no VS_FIXEDFILEINFO signature at offset {off}")
    fv = f"{fms >> 16}.{fms & 0xFFFF}.{fls >> 16}.{fls & 0xFFFF}"
    pv = f"{pms >> 16}.{pms & 0xFFFF}.{pls >> 16}.{pls & 0xFFFF}"
    return PeVersion(file_version=fv, product_version=pv, method=method, offset=off)


def _rva_to_offset(rva: int, sections: list[tuple[int, int, int, int]]) -> int:
    for vaddr, vsize, raw_ptr, raw_size in sections:
        if vaddr <= rva < vaddr + max(vsize, raw_size):
            return raw_ptr + (rva - vaddr)
    raise PeVersionError(f"RVA 0x{rva:x} is outside every section")


def _from_resources(data: bytes) -> PeVersion:
    if data[:2] != b"MZ":
        raise PeVersionError("not a PE file: no MZ header")
    pe = _u32(data, 0x3C)
    if data[pe : pe + 4] != b"PE\0\0":
        raise PeVersionError(f"not a PE file: no PE signature at offset {pe}")
    n_sections = _u16(data, pe + 6)
    opt_size = _u16(data, pe + 20)
    opt = pe + 24
    magic = _u16(data, opt)
    if magic == 0x10B:
        dirs = opt + 96
    elif magic == 0x20B:
        dirs = opt + 112
    else:
        raise PeVersionError(f"unknown optional-header magic 0x{magic:x}")
    n_dirs = _u32(data, dirs - 4)
    if n_dirs < 3:
        raise PeVersionError("no resource directory entry in the optional header")
    res_rva = _u32(data, dirs + 2 * 8)
    if res_rva == 0:
        raise PeVersionError("the file has no resources")
    sec = opt + opt_size
    sections = []
    for i in range(n_sections):
        base = sec + i * 40
        vsize, vaddr, raw_size, raw_ptr = (_u32(data, base + o) for o in (8, 12, 16, 20))
        sections.append((vaddr, vsize, raw_ptr, raw_size))
    root = _rva_to_offset(res_rva, sections)

    def entries(dir_off: int) -> list[tuple[int, int]]:
        named, ids = _u16(data, dir_off + 12), _u16(data, dir_off + 14)
        count = named + ids
        if count > 4096:
            raise PeVersionError("implausible resource directory")
        return [(_u32(data, dir_off + 16 + 8 * k), _u32(data, dir_off + 20 + 8 * k)) for k in range(count)]

    def subdir(target: int) -> int:
        if not target & 0x80000000:
            raise PeVersionError("resource tree ends early")
        return root + (target & 0x7FFFFFFF)

    version_dir = next((subdir(t) for name, t in entries(root) if name == _RT_VERSION), None)
    if version_dir is None:
        raise PeVersionError("no RT_VERSION resource")
    level = entries(version_dir)
    if not level:
        raise PeVersionError("empty RT_VERSION resource")
    lang_dir = subdir(level[0][1])
    langs = entries(lang_dir)
    if not langs or langs[0][1] & 0x80000000:
        raise PeVersionError("malformed RT_VERSION language level")
    data_entry = root + langs[0][1]
    rva, size = _u32(data, data_entry), _u32(data, data_entry + 4)
    start = _rva_to_offset(rva, sections)
    blob = data[start : start + size]
    idx = blob.find(_FIXED_SIG)
    if idx < 0:
        raise PeVersionError("version resource without VS_FIXEDFILEINFO")
    return _fixed_info(data, start + idx, "resource")


def _from_signature(data: bytes) -> PeVersion:
    key = data.find(_VS_KEY)
    search_from = key if key >= 0 else 0
    idx = data.find(_FIXED_SIG, search_from)
    if idx < 0 and key >= 0:
        idx = data.find(_FIXED_SIG)
    if idx < 0:
        raise PeVersionError("no VS_FIXEDFILEINFO signature (0xFEEF04BD) in the file")
    return _fixed_info(data, idx, "signature")


def read_pe_version(source: bytes | str | Path) -> PeVersion:
    """File and product version of a PE file given as bytes or a path.

    Raises PeVersionError for files that are not PE files, have no version resource, or are damaged.
    """
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_PE_SIZE:
                raise PeVersionError(f"{path.name}: {size} bytes is too large for a version read")
            data = path.read_bytes()
        except OSError as exc:
            raise PeVersionError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) < 64:
        raise PeVersionError(f"file too small to be a PE file ({len(data)} bytes)")
    if data[:2] != b"MZ":
        raise PeVersionError("not a PE file: no MZ header")
    try:
        return _from_resources(data)
    except PeVersionError as first:
        try:
            return _from_signature(data)
        except PeVersionError as second:
            raise PeVersionError(f"{first}; {second}") from None
