"""Maestro's edges: settings, ASGI app, GitHub auth and client, database, inbox worker, CLI."""
