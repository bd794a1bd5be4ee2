"""files stage: webshells and backdoors on disk (inventory of web folders and drop zones, YARA, hashes,
names and locations, IIS and Exchange configuration checks)."""

from lekdicht.files.iocs import is_exchange_auth_page, load_auth_allowlist, load_iocs, lookup_hash
from lekdicht.files.locate import classify_path, windows_path_suffix
from lekdicht.files.results import FileScanResult, ScanError, ScannedFile
from lekdicht.files.scanner import DEFAULT_MAX_SIZE, scan_files

__all__ = [
    "DEFAULT_MAX_SIZE",
    "FileScanResult",
    "ScanError",
    "ScannedFile",
    "classify_path",
    "is_exchange_auth_page",
    "load_auth_allowlist",
    "load_iocs",
    "lookup_hash",
    "scan_files",
    "windows_path_suffix",
]
