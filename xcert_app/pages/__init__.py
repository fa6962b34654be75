"""One module per page; each declares itself with ``components.page.page``."""
