"""Subcommands of `harness`. Each module defines ``register(subparsers)`` and sets
``handler`` on its parsers; the handler returns the exit code."""
