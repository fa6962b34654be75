"""Operator subcommands by area; each module defines ``register(commands)``.

``register`` receives the top-level subparsers object of ``python -m xcert_app``
and adds its own command with ``set_defaults(handler=...)``; the handler takes the
parsed arguments and returns the exit code.
"""
