"""One module per `maestro` subcommand group; each exposes `register(subparsers)`."""
