"""Packaged reference data (IOC lists, periods, allow-lists); each file names its sources."""
