"""The Dramatiq broker on Redis, with asyncio actors and a per-process database pool."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, Middleware

from rentcal.embedded import ensure_services
from rentcal.settings import get_settings

log = logging.getLogger("rentcal.tasks")


class DatabasePool(Middleware):
    """Open the Piccolo pool on the worker's event loop; close it on shutdown."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from rentcal.db import open_pool

        thread = get_event_loop_thread()
        if thread is not None:
            thread.run_coroutine(open_pool(max_size=8))

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from rentcal.db import close_pool

        thread = get_event_loop_thread()
        if thread is not None:
            try:
                thread.run_coroutine(close_pool())
            except Exception:  # shutting down anyway
                log.debug("pool close failed", exc_info=True)


def make_broker() -> RedisBroker:
    settings = get_settings()
    settings.validate()  # also when started as `dramatiq tasks.actors`, not through `rentcal worker`
    _, redis_url = ensure_services(settings.data_dir)
    broker = RedisBroker(url=redis_url, namespace="rentcal")
    broker.add_middleware(AsyncIO())
    broker.add_middleware(DatabasePool())
    return broker


broker = make_broker()
dramatiq.set_broker(broker)
