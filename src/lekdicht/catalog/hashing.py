"""A read-only binary stream that hashes every byte it hands out, so files are read once."""

from __future__ import annotations

import hashlib
from typing import BinaryIO


class HashingReader:
    """Wrap a binary file: ``read``/``readinto`` update a SHA-256 and a byte count.

    ``finish()`` reads whatever the consumer left unread, so the digest always covers the whole file.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._hash.update(data)
        self.bytes_read += len(data)
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        n = self._raw.readinto(buf)  # type: ignore[attr-defined]
        if n:
            self._hash.update(memoryview(buf)[:n])
            self.bytes_read += n
        return n or 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def finish(self) -> str:
        while True:
            chunk = self._raw.read(4 * 1024 * 1024)
            if not chunk:
                break
            self._hash.update(chunk)
            self.bytes_read += len(chunk)
        return self._hash.hexdigest()

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sha256_file(path: str, block: int = 4 * 1024 * 1024) -> str:
    """SHA-256 of a whole file, read in large blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()
