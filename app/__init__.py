"""Maestro's edges: settings, the ASGI app, GitHub auth and client, database, inbox worker and CLI."""
