"""A wire-faithful Google Calendar v3 + Google OAuth 2.0 emulator (the "Google sandbox").

Run it with ``python -m sandboxes.google --port 8801`` or build it in-process with :func:`create_app`.
It imports nothing from the rest of the repository.
"""

from .app import create_app

__all__ = ["create_app"]
