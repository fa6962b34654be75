"""Excel templates, imports with row-by-row reports, and exports."""
