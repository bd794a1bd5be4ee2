"""JSON Schemas of lekdicht's machine-readable outputs."""
