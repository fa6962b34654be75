"""Excel templates, imports with row reports, and exports."""
