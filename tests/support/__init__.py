"""Shared helpers for tests (synthetic data writers)."""
