"""`maestro serve`: run the GitHub App (webhook, pages, inbox worker) with uvicorn."""

from __future__ import annotations

import argparse
import logging

from app.commands.common import database_errors, database_settings_or_exit
from app.logging_setup import configure_logging, uvicorn_log_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the GitHub App server")
    parser.add_argument("--host", help="interface to bind (default MAESTRO_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default MAESTRO_PORT or 8000)")
    parser.add_argument("--no-worker", action="store_true", help="only accept webhooks")
    parser.add_argument("--workers", type=int, default=1, help="inbox worker tasks (default 1)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app
    from app.migrate import upgrade

    overrides = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    settings = database_settings_or_exit(**overrides)
    # Migrate before uvicorn starts, so a database problem is one message, not a failed lifespan.
    with database_errors(settings.database_url):
        upgrade(settings.database_url)
    configure_logging(args.log_level)
    app = create_app(
        settings,
        run_worker=False if args.no_worker else None,
        worker_count=args.workers,
        migrate=False,
    )
    if not settings.github_configured:
        logging.getLogger("maestro").warning(
            "GitHub App not configured (%s): open http://%s:%d/ to set it up",
            ", ".join(settings.missing_github_settings()),
            settings.host,
            settings.port,
        )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        log_config=uvicorn_log_config(),  # access lines and tracebacks scrubbed of secrets
    )
    return 0
