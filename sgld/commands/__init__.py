"""Extra command-line subcommands: each module here defines
``register(subparsers)`` adding its parsers with ``set_defaults(fn=...)``."""
