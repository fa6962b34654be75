"""Spreadsheet reading, templates, import row checks and exports."""
