"""Thin Starlette handlers of the REST API; they call ``server.core`` and serialize with ``server.core.serialize``."""
