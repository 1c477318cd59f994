"""Periodic jobs run by the dispatcher loop in `rentcal worker`: (every seconds, coroutine)."""

from __future__ import annotations

from tasks.dispatcher import Periodic

PERIODIC: list[Periodic] = []
