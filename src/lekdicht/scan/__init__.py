"""Scan orchestration: run the pipeline stages over one evidence source."""
