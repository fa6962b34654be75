"""Shared UI: layout, page registry, forms, data grid, upload box, progress."""
