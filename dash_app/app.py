"""The control room application: navigation, the shared context, and ``twin dash``.

:class:`Context` holds what every page uses: the runs folder, the background jobs, the live
twin (optional), the chatbot, and a small cache of loaded cities and analytics.
:func:`create_app` builds the Dash app; :func:`serve` runs it.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from dash import Dash, Input, Output, dcc, html

from dash_app.data import OSM_CREDIT
from dash_app.jobs import Jobs

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1a1a1a; margin: 0; background: #fff; }
nav { display: flex; gap: 4px; flex-wrap: wrap; background: #0b3d63; padding: 8px 16px; }
nav a { color: #fff; padding: 6px 12px; text-decoration: none; border-radius: 4px; }
nav a:focus, nav a:hover { outline: 3px solid #F0E442; background: #0072B2; }
nav a.active { background: #0072B2; font-weight: bold; }
main { padding: 8px 24px 40px; }
.controls { display: flex; gap: 12px; align-items: end; flex-wrap: wrap; margin: 8px 0; }
.field { display: flex; flex-direction: column; min-width: 120px; } .field.wide { min-width: 320px; }
.kpis { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
.kpi { border: 1px solid #888; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.kpi-label { font-size: 0.85em; color: #333; } .kpi-hint { font-size: 0.75em; color: #333; max-width: 220px; } .kpi-value { font-size: 1.5em; font-weight: bold; }
.clock { font-family: monospace; font-size: 1.2em; padding: 0 8px; }
button, .button { background: #fff; color: #0b3d63; border: 2px solid #0b3d63; border-radius: 4px; padding: 6px 14px;
  cursor: pointer; font-size: 1em; text-decoration: none; display: inline-block; }
button.primary { background: #0b3d63; color: #fff; }
button:focus, .button:focus, input:focus { outline: 3px solid #E69F00; }
.good { color: #00603f; } .bad { color: #a33a00; }
.chat-log { border: 1px solid #888; min-height: 160px; padding: 8px; max-width: 900px; }
.msg { margin: 6px 0; } .msg.bot { background: #eef6fb; padding: 6px; border-radius: 4px; }
.intent, .actions { font-size: 0.85em; color: #333; }
.sr-only { position: absolute; left: -10000px; }
.hint { color: #333; max-width: 900px; } footer { padding: 8px 24px; font-size: 0.85em; color: #333; }
.city-row { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
.map-col { flex: 3 1 640px; min-width: 0; } .feed-col { flex: 1 1 260px; max-width: 420px; }
.feed { list-style: none; padding: 0; margin: 0; max-height: 620px; overflow-y: auto; }
.feed li { margin: 0 0 4px; font-size: 0.9em; }
.feed-item { width: 100%; text-align: left; font-size: 0.9em; padding: 4px 8px; border-width: 1px; color: #1a1a1a; }
.feed-at { font-family: monospace; } .feed-kind { font-weight: bold; }
.map-key { display: flex; flex-wrap: wrap; gap: 10px; font-size: 0.85em; margin: 4px 0; align-items: center; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #888; margin-right: 4px; vertical-align: middle; }
.spark { height: 34px; }
summary { min-height: 24px; line-height: 24px; cursor: pointer; }
"""


class Context:
    """What the pages share (see the module docstring)."""

    def __init__(self, runs_dir: str | Path = "runs", live=None, chatbot=None, city: str = "demo",
                 services_url: str | None = None):
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.live = live
        self._chatbot = chatbot
        self.city_name = city
        self.services_url = services_url
        self._cities: dict = {}
        self._cache: dict = {}
        self._lock = threading.RLock()
        self.jobs = Jobs(self.runs_dir, city_loader=self.city)
        #: What the City page says while the live twin is being prepared (None: nothing pending).
        self.live_note: str | None = None
        self._live_started = time.perf_counter()
        self.live_built_s: float | None = None
        self._closed = False

    def start_live(self, make, start_hour: float | None = None) -> threading.Thread:
        """Prepare the live twin in the background, so the control room serves at once.

        ``make()`` builds a :class:`dash_app.live.LiveTwin` (minutes for Brașov at 1:1); it is
        then started and, with ``start_hour``, fast-forwarded in its own thread to that time of
        day (:meth:`~dash_app.live.LiveTwin.jump_to` with ``wait=False``), the City page showing
        the clock racing towards it. Until the twin exists :attr:`live_note` says what is under
        way (the City page shows it); a twin that fails to build leaves its error there.
        """
        self.live_note = "Preparing the live city: building the twin (loading the city, placing its citizens) …"
        started = self._live_started = time.perf_counter()

        def prepare():
            try:
                live = make()
                live.start()
                if start_hour is not None:
                    live.jump_to(start_hour, wait=False)
            except Exception as exc:                   # shown on the City page, not swallowed
                self.live_note = f"The live twin could not be built: {type(exc).__name__}: {exc}"
                return
            with self._lock:
                if self._closed:                       # the control room stopped meanwhile
                    live.stop()
                    return
                self.live = live
                self.live_note = None
            self.live_built_s = round(time.perf_counter() - started, 1)

        th = threading.Thread(target=prepare, name="live-prepare", daemon=True)
        th.start()
        return th

    def city(self, source: str):
        """A city, loaded once (``source`` as in a manifest: ``demo``, a path)."""
        from twin.city import load_city

        with self._lock:
            if source not in self._cities:
                live = self.live.city if self.live is not None else None
                self._cities[source] = live if live is not None and source in (live.source, self.live.scenario.city) \
                    else load_city(source)
            return self._cities[source]

    def cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def live_status(self) -> str | None:
        """:attr:`live_note` with the seconds it has taken so far (``None`` when nothing is pending)."""
        note = self.live_note
        if note is None or not note.endswith("…"):
            return note
        return f"{note} ({time.perf_counter() - self._live_started:.0f} s)"

    def chat(self, session: str, text: str, lang: str) -> dict:
        """One chat turn: to the services' ``POST /chat`` when a URL is set, else to the chatbot
        in this process (built on first use for the control room's city)."""
        if self.services_url:
            import httpx

            r = httpx.post(f"{self.services_url.rstrip('/')}/chat",
                           json={"session_id": session, "text": text, "language": lang}, timeout=30)
            r.raise_for_status()
            from twin import untrusted                 # the services are another process: outside

            return untrusted.loads(r.content, max_bytes=1 << 20, max_depth=16, what=f"{self.services_url} /chat answer")
        with self._lock:
            if self._chatbot is None:
                from services.server import make_chatbot

                self._chatbot = make_chatbot(self.city(self.city_name))
        return self._chatbot.reply(session, text, {"language": lang})

    def close(self) -> None:
        self.jobs.shutdown()
        with self._lock:
            self._closed = True
            live = self.live
        if live is not None:
            live.stop()


def create_app(ctx: Context) -> Dash:
    from dash_app.pages import PAGES

    app = Dash(__name__, title="SmartCity Twin — control room", suppress_callback_exceptions=True,
               update_title=None)
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + CSS + "</style>").replace(
        "<html>", '<html lang="en">')
    app.layout = html.Div([
        dcc.Location(id="url"),
        html.Header(html.Nav([html.A(title, href=path, id=f"nav-{path.strip('/') or 'city'}")
                              for path, title, _ in PAGES], **{"aria-label": "pages"})),
        html.Main(id="page", role="main"),
        html.Footer(f"SmartCity Twin — maps: {OSM_CREDIT} (ODbL). Citizens are simulated and pseudonymous."),
    ])
    modules = {path: mod for path, _, mod in PAGES}

    @app.callback(Output("page", "children"), *[Output(f"nav-{p.strip('/') or 'city'}", "className") for p in modules],
                  Input("url", "pathname"), Input("url", "search"))
    def route(path, search):
        mod = modules.get(path or "/")
        active = ["active" if p == (path or "/") else "" for p in modules]
        if mod is None:
            return html.Div([html.H1("Not found"), html.P(f"No page at {path}.")]), *active
        if mod.__name__.endswith(".lab"):
            return mod.layout(ctx, search), *active
        return mod.layout(ctx), *active

    for _, _, mod in PAGES:
        mod.register(app, ctx)
    return app


def wsgi_server(app: Dash, host: str, port: int, threads: int = 8):
    """A production WSGI server (waitress) for ``app``, bound but not yet serving.

    Waitress writes no line per request (the City page polls once a second, which Flask's
    development server logged every time) and prints no "development server" warning; only
    its warnings and errors reach the log.

    Parameters
    ----------
    app : Dash
        The control room (:func:`create_app`).
    host, port : str, int
        Where to listen; ``port`` 0 takes a free port (read it from ``server.effective_port``).
    threads : int
        Request threads: the 1 Hz map refresh, the lab's progress and page loads run at once.
    """
    import logging

    from waitress import create_server

    logging.getLogger("waitress").setLevel(logging.WARNING)
    return create_server(app.server, host=host, port=port, threads=threads, ident="SmartCity Twin")


def serve(host: str = "127.0.0.1", port: int = 8050, runs_dir: str = "runs", live_scenario: str | None = None,
          city: str = "demo", population: int | None = None, speed: float = 60.0,
          services_url: str | None = None, start_hour: float | None = 7.5, db: str | None = None) -> None:
    """Run the control room (``twin dash``) behind waitress (:func:`wsgi_server`) until interrupted.

    It serves at once: the live twin is built and jumps to ``start_hour`` (07:30, the morning
    rush; ``None``: it starts at midnight) in the background (:meth:`Context.start_live`), and
    the City page shows how far that has got until the city moves. ``db``: a database URL
    (``postgresql://…``) for the live twin's city hall store, as ``twin run --db`` (default: a
    SQLite file of its own).
    """
    ctx = Context(runs_dir, city=city, services_url=services_url)
    if live_scenario:
        from dash_app.live import LiveTwin
        from scenarios import load_scenario

        scenario = load_scenario(live_scenario, city=city, population=population)    # a bad name fails here
        if db:                                  # the live city hall's store in that database (PostgreSQL)
            scenario.services = scenario.services.model_copy(update={"db_url": db})
        ctx.start_live(lambda: LiveTwin(scenario, speed=speed), start_hour)
    app = create_app(ctx)
    server = None
    try:
        server = wsgi_server(app, host, port)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.close()
        ctx.close()
