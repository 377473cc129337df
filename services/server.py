"""``twin serve``: the city hall's Open311 API as a web service of its own.

:func:`build_app` opens the store (SQLite by default, PostgreSQL by URL), loads the city for
location checks, and returns the FastAPI application; :func:`serve` runs it with uvicorn. The
API root is ``http://HOST:PORT/open311/v2/`` (discovery at ``/open311/v2/discovery.json``, the
OpenAPI document at ``/open311/v2/openapi.json``, interactive docs at ``/open311/v2/docs``).

The assistant's tax payments are queued on the ledger and anchored in batches by a
:class:`BatchAnchor` (every ``anchor_every_s``, 60 s by default), like a run's ledger component
does: one chain transaction per batch, never one per payment.
"""
from __future__ import annotations

import logging
import threading

DEFAULT_DB = "sqlite:///twin-services.sqlite"
log = logging.getLogger("services.server")


class BatchAnchor:
    """Anchor a ledger's queued payments every ``every_s`` seconds, in a daemon thread.

    Each round calls :meth:`ledger.ledger.Ledger.anchor` when payments are queued: one batch,
    one transaction, whatever the number of payments. A chain that is down leaves them queued
    (the ledger keeps them) and the next round retries. :meth:`stop` anchors what is left.

    Parameters
    ----------
    ledger
        A :class:`ledger.ledger.Ledger`.
    every_s
        Seconds between rounds.
    """

    def __init__(self, ledger, every_s: float = 60.0):
        if not every_s > 0:
            raise ValueError(f"anchor_every_s: {every_s!r} must be a positive number of seconds")
        self.ledger = ledger
        self.every_s = float(every_s)
        self.rounds = 0
        self.batches = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="ledger-anchor", daemon=True)

    def start(self) -> BatchAnchor:
        self._thread.start()
        return self

    def anchor_now(self) -> int:
        """One round now; returns the number of batches anchored (0 if nothing was queued or
        the chain is down)."""
        with self._lock:
            self.rounds += 1
            try:
                if self.ledger.queued() == 0:
                    return 0
                done = self.ledger.anchor()
            except Exception:                  # noqa: BLE001 - the payments stay queued; retry next round
                log.exception("anchoring the assistant's payments failed; retrying in %.0f s", self.every_s)
                return 0
            self.batches += len(done)
            return len(done)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.anchor_now()

    def stop(self) -> None:
        """Stop the thread and anchor what is still queued."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.every_s + 30)
        self.anchor_now()


def build_app(db_url: str = DEFAULT_DB, city: str = "demo", *, jurisdiction_id: str | None = None,
              anonymous_rate_per_min: int = 1200, cors_origins: list[str] | None = None,
              housekeeping_s: float | None = 60.0, schema: str | None = None, chatbot: bool = True,
              chain_url: str | None = None, realtime=None):
    """The Open311 application over the store at ``db_url`` for the city ``city``, with the
    citizen assistant on ``POST /chat`` (its payments and permit checks on the ledger at
    ``chain_url``, the embedded chain by default). ``realtime`` (an object with ``feed(kind)``
    returning GTFS-Realtime bytes, e.g. :class:`twin_app.realtime.LiveTransit`) adds
    ``GET /gtfs-rt/trip-updates.pb`` and ``GET /gtfs-rt/vehicle-positions.pb``."""
    from services.geo import CityArea
    from services.hall import CityHall
    from services.open311 import create_app
    from services.store import open_store
    from twin.city import load_city

    c = load_city(city)
    area = CityArea(c)
    hall = CityHall(open_store(db_url, schema=schema), area, jurisdiction_id=jurisdiction_id or f"{c.slug}.ro")
    bot = make_chatbot(c, hall, area, chain_url) if chatbot else None
    anchor = getattr(bot, "anchor", None)
    stops = ([anchor.stop] if anchor else []) + ([realtime.stop] if hasattr(realtime, "stop") else [])
    app = create_app(hall, anonymous_rate_per_min=anonymous_rate_per_min, cors_origins=cors_origins,
                     housekeeping_s=housekeeping_s, chatbot=bot, on_shutdown=stops)
    if realtime is not None:
        add_gtfs_rt(app, realtime)
    return app


def add_gtfs_rt(app, realtime) -> None:
    """Serve the GTFS-Realtime feeds of ``realtime`` (``feed(kind) -> bytes``) on ``app``:
    ``/gtfs-rt/trip-updates.pb`` and ``/gtfs-rt/vehicle-positions.pb``, as
    ``application/x-protobuf`` (what GTFS-Realtime consumers fetch)."""
    from fastapi import Response

    from agents.realtime import CONTENT_TYPE, FEEDS

    def route(kind: str):
        def handler() -> Response:
            return Response(content=realtime.feed(kind), media_type=CONTENT_TYPE,
                            headers={"Cache-Control": "no-cache"})
        return handler

    for kind in FEEDS:
        app.add_api_route(f"/gtfs-rt/{kind}.pb", route(kind), methods=["GET"], include_in_schema=False,
                          name=f"gtfs_rt_{kind.replace('-', '_')}")


def make_chatbot(city, hall=None, area=None, chain_url: str | None = None, ledger: bool = True,
                 anchor_every_s: float = 60.0):
    """A :class:`services.chatbot.bot.Chatbot` for ``city`` (its GTFS feed found beside it).

    With ``ledger``, the bot gets a ledger on ``chain_url`` (the embedded chain by default) and
    a started :class:`BatchAnchor` (``bot.anchor``) that anchors its payments every
    ``anchor_every_s`` seconds."""
    from services.chatbot.bot import Chatbot
    from twin.gtfs import find_gtfs, load_gtfs

    path = find_gtfs(city)
    timetable = load_gtfs(path, city) if path is not None else None
    led = None
    if ledger:
        from ledger.ledger import Ledger

        led = Ledger.open(chain_url)
    bot = Chatbot(hall=hall, ledger=led, area=area, timetable=timetable)
    bot.anchor = BatchAnchor(led, anchor_every_s).start() if led is not None else None
    return bot


def serve(app, host: str = "127.0.0.1", port: int = 8311, log_level: str = "warning") -> None:
    """Run ``app`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False, date_header=True)
