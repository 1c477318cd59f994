"""ASGI entry point for uvicorn/granian: `uvicorn portal.asgi:app`."""

from portal.app import create_app
from rentcal import logs

logs.setup()
app = create_app()
