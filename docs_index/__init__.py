"""Retrieval of hardware-manual sections for reflection (not built yet: see the README)."""
