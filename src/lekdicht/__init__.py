"""lekdicht: offline compromise assessment for on-premises Microsoft Exchange."""

__version__ = "0.1.0"
