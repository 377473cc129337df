"""``twin serve``: the city hall's Open311 API as a web service of its own.

:func:`build_app` opens the store (SQLite by default, PostgreSQL by URL), loads the city for
location checks, and returns the FastAPI application; :func:`serve` runs it with uvicorn. The
API root is ``http://HOST:PORT/open311/v2/`` (discovery at ``/open311/v2/discovery.json``, the
OpenAPI document at ``/open311/v2/openapi.json``, interactive docs at ``/open311/v2/docs``).
"""
from __future__ import annotations

DEFAULT_DB = "sqlite:///twin-services.sqlite"


def build_app(db_url: str = DEFAULT_DB, city: str = "demo", *, jurisdiction_id: str | None = None,
              anonymous_rate_per_min: int = 1200, cors_origins: list[str] | None = None,
              housekeeping_s: float | None = 60.0, schema: str | None = None, chatbot: bool = True,
              chain_url: str | None = None):
    """The Open311 application over the store at ``db_url`` for the city ``city``, with the
    citizen assistant on ``POST /chat`` (its payments and permit checks on the ledger at
    ``chain_url``, the embedded chain by default)."""
    from services.geo import CityArea
    from services.hall import CityHall
    from services.open311 import create_app
    from services.store import open_store
    from twin.city import load_city

    c = load_city(city)
    area = CityArea(c)
    hall = CityHall(open_store(db_url, schema=schema), area, jurisdiction_id=jurisdiction_id or f"{c.slug}.ro")
    bot = make_chatbot(c, hall, area, chain_url) if chatbot else None
    return create_app(hall, anonymous_rate_per_min=anonymous_rate_per_min, cors_origins=cors_origins,
                      housekeeping_s=housekeeping_s, chatbot=bot)


def make_chatbot(city, hall=None, area=None, chain_url: str | None = None, ledger: bool = True):
    """A :class:`services.chatbot.bot.Chatbot` for ``city`` (its GTFS feed found beside it)."""
    from services.chatbot.bot import Chatbot
    from twin.gtfs import find_gtfs, load_gtfs

    path = find_gtfs(city)
    timetable = load_gtfs(path, city) if path is not None else None
    led = None
    if ledger:
        from ledger.ledger import Ledger

        led = Ledger.open(chain_url)
    return Chatbot(hall=hall, ledger=led, area=area, timetable=timetable)


def serve(app, host: str = "127.0.0.1", port: int = 8311, log_level: str = "warning") -> None:
    """Run ``app`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False, date_header=True)
