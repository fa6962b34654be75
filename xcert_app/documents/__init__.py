"""PDF output: admission tickets, labels, sign-in sheets and their fonts."""
