"""A wire-faithful Microsoft identity platform v2 + Microsoft Graph v1.0 calendar emulator.

Run it with ``python -m sandboxes.microsoft --port 8802`` or build it in-process with :func:`create_app`.
It imports nothing from the rest of the repository. See README.md beside this file.
"""

from .app import create_app

__all__ = ["create_app"]
