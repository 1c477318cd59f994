"""events.watch channels and asynchronous web_hook delivery (sync first, then exists per change)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from . import timeutil
from .errors import GoogleError, bad_request, not_found
from .stats import Stats
from .store import Calendar

log = logging.getLogger(__name__)
DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000


@dataclass
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    owner: str
    address: str
    token: str | None
    expiration_ms: int
    params: dict[str, str] = field(default_factory=dict)
    message_number: int = 0

    @property
    def expired(self) -> bool:
        return time.time() * 1000 >= self.expiration_ms

    def resource(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "api#channel",
            "id": self.id,
            "resourceId": self.resource_id,
            "resourceUri": self.resource_uri,
        }
        if self.token is not None:
            body["token"] = self.token
        body["expiration"] = str(self.expiration_ms)
        return body


@dataclass(frozen=True)
class Message:
    channel: Channel
    state: str
    number: int


MAX_CHANNEL_ID = 64
MAX_CHANNEL_TOKEN = 256
CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]+")


class Notifier:
    def __init__(self, base_url: str, stats: Stats, timeout: float = 5.0, *, allow_http: bool = False) -> None:
        self.base_url = base_url
        self.allow_http = allow_http
        self.stats = stats
        self.timeout = timeout
        self.lock = threading.Lock()
        self.channels: dict[str, Channel] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=1000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._queues: dict[str, asyncio.Queue[Message]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    # ---- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client = httpx.AsyncClient(timeout=self.timeout)

    async def stop(self) -> None:
        for task in list(self._workers.values()):
            task.cancel()
        for task in list(self._workers.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._workers.clear()
        self._queues.clear()
        if self._client is not None:
            await self._client.aclose()

    def reset(self) -> None:
        with self.lock:
            self.channels.clear()
            self.log.clear()

    # ---- channels -----------------------------------------------------------------------------------

    def watch(self, cal: Calendar, owner: str, body: dict[str, Any]) -> Channel:
        channel_id, address = body.get("id"), body.get("address")
        if not channel_id:
            raise GoogleError(400, "required", "Required channel id")
        if body.get("type") not in ("web_hook", "webhook"):
            raise bad_request(f"Invalid channel type: {body.get('type')}", reason="invalidChannelType")
        schemes = ("http://", "https://") if self.allow_http else ("https://",)
        if not address or not str(address).startswith(schemes):
            # Google: "WebHook callback must be HTTPS"
            raise bad_request(f"WebHook callback must be HTTPS: {address}", reason="push.webhookUrlNotHttps")
        if len(str(channel_id)) > MAX_CHANNEL_ID or not CHANNEL_ID.fullmatch(str(channel_id)):
            raise bad_request(f"Invalid channel id: {channel_id}", reason="invalidParameter")
        if body.get("token") is not None and len(str(body["token"])) > MAX_CHANNEL_TOKEN:
            raise bad_request("Channel token too long (at most 256 characters).", reason="invalidParameter")
        now_ms = int(time.time() * 1000)
        expiration = now_ms + DEFAULT_TTL_MS
        params = body.get("params") or {}
        if params.get("ttl"):
            expiration = now_ms + int(params["ttl"]) * 1000
        if body.get("expiration"):
            expiration = min(expiration, int(body["expiration"]))
        uri = f"{self.base_url}/calendar/v3/calendars/{quote(cal.id, safe='@')}/events?alt=json"
        channel = Channel(
            str(channel_id), cal.resource_id, uri, cal.id, owner, str(address), body.get("token"), expiration,
            dict(params),
        )  # fmt: skip
        with self.lock:
            if channel.id in self.channels:
                raise bad_request(f"Channel id {channel.id} not unique", reason="channelIdNotUnique")
            self.channels[channel.id] = channel
        self._enqueue(channel, "sync")
        return channel

    def stop_channel(self, channel_id: str, resource_id: str | None, owner: str | None) -> None:
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None or (resource_id and resource_id != channel.resource_id):
                raise not_found()
            if owner is not None and channel.owner != owner:
                raise not_found()
            del self.channels[channel_id]

    def calendar_changed(self, calendar_id: str) -> None:
        """Store listener: one ``exists`` message per live channel on the calendar."""
        with self.lock:
            live = [c for c in self.channels.values() if c.calendar_id == calendar_id and not c.expired]
        for channel in live:
            self._enqueue(channel, "exists")

    def describe(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    **c.resource(),
                    "calendarId": c.calendar_id,
                    "address": c.address,
                    "messages": c.message_number,
                }
                for c in self.channels.values()
            ]

    # ---- delivery ------------------------------------------------------------------------------------

    def _enqueue(self, channel: Channel, state: str) -> None:
        with self.lock:
            channel.message_number += 1
            message = Message(channel, state, channel.message_number)
        loop = self._loop
        if loop is None or loop.is_closed():
            self._record(message, None, "notifier not running")
            return
        loop.call_soon_threadsafe(self._put, message)

    def _put(self, message: Message) -> None:
        key = message.channel.id + "\0" + message.channel.address
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._workers[key] = asyncio.get_running_loop().create_task(self._work(queue))
        queue.put_nowait(message)

    async def _work(self, queue: asyncio.Queue[Message]) -> None:
        while True:
            message = await queue.get()
            await self._deliver(message)

    async def _deliver(self, message: Message) -> None:
        channel = message.channel
        with self.lock:
            live = self.channels.get(channel.id) is channel and not channel.expired
        if not live and message.state != "sync":
            return
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": timeutil.http_date(timeutil.ms_to_datetime(channel.expiration_ms)),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": message.state,
            "X-Goog-Message-Number": str(message.number),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        assert self._client is not None
        try:
            response = await self._client.post(channel.address, headers=headers, content=b"")
        except httpx.HTTPError as exc:
            self._record(message, None, f"{type(exc).__name__}: {exc}")
            return
        self._record(message, response.status_code, None)

    def _record(self, message: Message, status: int | None, error: str | None) -> None:
        ok = status is not None and 200 <= status < 300
        self.stats.notification("delivered" if ok else "failed")
        with self.lock:
            self.log.append(
                {
                    "channelId": message.channel.id,
                    "calendarId": message.channel.calendar_id,
                    "address": message.channel.address,
                    "resourceState": message.state,
                    "messageNumber": message.number,
                    "status": status,
                    "error": error,
                    "at": timeutil.format_utc_ms(timeutil.now_utc()),
                }
            )
