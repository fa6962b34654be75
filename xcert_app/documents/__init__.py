"""PDF documents: admission tickets, labels, sign-in sheets and certificates."""
