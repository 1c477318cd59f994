"""Opaque Graph-style ids and change keys (base64 with ``-``, ``_`` and ``=``, like Exchange ids)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid

_NAMESPACE = uuid.UUID("5b1f0a5e-7a0c-4d0e-9d53-6d6963726f73")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def new_event_id() -> str:
    return "AAMkADSbx" + _b64(secrets.token_bytes(40))


def calendar_id(email: str, name: str) -> str:
    return "AAMkADCal" + _b64(hashlib.sha256(f"{email}/{name}".encode()).digest()[:30])


def occurrence_id(master_id: str, day_key: str) -> str:
    """Occurrence ids decode to their series and original start (``YYYYMMDD``)."""
    return "AAMkADOcc" + _b64(f"{master_id}|{day_key}".encode())


def parse_occurrence_id(value: str) -> tuple[str, str] | None:
    if not value.startswith("AAMkADOcc"):
        return None
    try:
        master, _, day = base64.urlsafe_b64decode(value[9:].encode()).decode().partition("|")
    except (ValueError, UnicodeDecodeError):
        return None
    return (master, day) if master and len(day) == 8 and day.isdigit() else None


def change_key() -> str:
    return "DwAAABYAAADSbx" + _b64(secrets.token_bytes(9))


def category_id() -> str:
    return str(uuid.uuid4())


def user_oid(email: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "user:" + email.lower()))


def tenant_id(email: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "tenant:" + email.lower().rsplit("@", 1)[-1]))
