"""Service desk: the Open311 requests of the live twin (as they stand now, read again by itself
every :data:`AUTO_S` seconds while it is shown) or of a finished run, as a sortable, filterable
grid (status, category, district, SLA; times in Brașov local time, labelled), one request's
timeline, and the SLA breaches."""
from __future__ import annotations

import hashlib
import json

from dash import Input, Output, State, dcc, html, no_update

from dash_app import data
from dash_app.grid import columns, grid

#: Header text of the request grid: times say which clock they are on.
LABELS = {"service_code": "category", "requested_at": f"requested ({data.TZ_LABEL})",
          "expected_at": f"due ({data.TZ_LABEL})", "closed_at": f"closed ({data.TZ_LABEL})",
          "sla_breached": "past SLA"}
#: Seconds between two readings of the live twin's stores on the Service desk and the Ledger.
AUTO_S = 5
NO_RUN = ("No finished run with a services store yet. Open the Scenario lab, press “Run” "
          "(the defaults take about a minute), then come back: its requests appear here.")


def live_option(ctx, need: str | None = None) -> dict | None:
    """The run pickers' entry for the live twin's stores (``None`` without a live twin, or when
    it keeps no ``need`` store)."""
    live = ctx.live
    if live is None or (need is not None and live.stores().get(need) is None):
        return None
    return {"label": f"Live twin — {live.city.name}, as it runs now", "value": data.LIVE}


def source(ctx, run):
    """What :mod:`dash_app.data` reads for a picker's value: the live twin's stores, or the
    finished run's folder (``None`` when the live twin is gone)."""
    if run == data.LIVE:
        return ctx.live.stores() if ctx.live is not None else None
    return run


def run_picker(ctx, ident: str, need: str | None = None, live: bool = False):
    """A labelled dropdown of the finished runs holding ``need``, and with ``live`` the live
    twin's stores first (and chosen; :func:`source` reads the value)."""
    opts = data.run_options(ctx.runs_dir, need)
    live = live_option(ctx, need) if live else None
    if live is not None:
        opts = [live, *opts]
    return html.Div([html.Label("Run", htmlFor=ident),
                     dcc.Dropdown(id=ident, options=opts, value=opts[0]["value"] if opts else None)],
                    className="field wide")


def auto_refresh(ident: str, ctx):
    """The timer that reads the live twin's stores again every :data:`AUTO_S` seconds (switched
    on while the live twin is chosen, see :func:`register_auto`)."""
    return dcc.Interval(id=ident, interval=AUTO_S * 1000, disabled=ctx.live is None and ctx.live_note is None)


def live_note(src: dict) -> str:
    """The live twin's moment as a page says it: ``Live twin at 09:05:12 EET (Brașov time,
    Europe/Bucharest)``."""
    return f"Live twin at {src['clock']} ({data.TZ_LABEL}, Europe/Bucharest)"


def signature(*parts) -> str:
    """A short digest of what a page shows, so a table read again unchanged is not sent again."""
    return hashlib.sha1(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:16]


def register_auto(app, ctx, picker: str, timer: str, need: str) -> None:
    """Keep ``picker`` (a :func:`run_picker` with ``live=True``) following the live twin: its timer
    runs only while the live twin is chosen — or while the twin is still being prepared, to offer
    it (and choose it, when nothing is chosen) the moment it exists."""
    @app.callback(Output(timer, "disabled"), Input(picker, "value"))
    def timer_on(run):
        return not (run == data.LIVE or (ctx.live is None and ctx.live_note is not None))

    @app.callback(Output(picker, "options"), Output(picker, "value"), Input(timer, "n_intervals"),
                  State(picker, "options"), State(picker, "value"), prevent_initial_call=True)
    def offer_live(_n, options, value):
        live = live_option(ctx, need)
        if live is None or any(o["value"] == data.LIVE for o in options or []):
            return no_update, no_update
        return [live, *(options or [])], value or data.LIVE


def preparing(ctx) -> str:
    """A sentence for an empty picker while the live twin is still being built ("" when not)."""
    return (" The live twin is being prepared (see the City page); its stores appear here once it runs."
            if ctx.live is None and ctx.live_note is not None else "")


def layout(ctx):
    return html.Div([
        html.H1("Service desk"),
        html.Div([run_picker(ctx, "desk-run", "services.sqlite", live=True),
                  html.Button("Refresh", id="desk-refresh", n_clicks=0,
                              title="read the live twin's requests again")], className="controls"),
        auto_refresh("desk-auto", ctx), dcc.Store(id="desk-sig"),
        html.Div(id="desk-summary", role="status", **{"aria-live": "off"}),
        html.P(f"All times are {data.TZ_LABEL} (Europe/Bucharest). The live twin's requests are read "
               f"again by themselves every {AUTO_S} s.", className="hint", id="desk-tz"),
        html.Div(grid("desk-table", page_size=15, labels=LABELS, selectable=True, filters=True, row_id="id",
                      row_style={"styleConditions": [{"condition": "params.data.sla_breached",
                                                      "style": {"backgroundColor": "#fde0cc"}}]}),
                 id="desk-grid-box"),
        html.H2("Timeline of the selected request"),
        html.P("Select a row in the table (click it, or move with the arrow keys and press Space)."),
        html.Div(id="desk-history"),
        html.H2("SLA breaches"),
        html.Div(id="desk-breaches"),
    ])


def register(app, ctx):
    register_auto(app, ctx, "desk-run", "desk-auto", "services.sqlite")

    @app.callback(Output("desk-table", "rowData"), Output("desk-table", "columnDefs"), Output("desk-summary", "children"),
                  Output("desk-breaches", "children"), Output("desk-grid-box", "style"), Output("desk-sig", "data"),
                  Input("desk-run", "value"), Input("desk-refresh", "n_clicks"), Input("desk-auto", "n_intervals"),
                  State("desk-sig", "data"))
    def load(run, _refresh, _auto, sig):
        hidden = {"display": "none"}          # an empty AG Grid fails ARIA's required children: no grid then
        src = source(ctx, run)
        if not run or src is None:
            return [], [], html.P(NO_RUN + preparing(ctx), className="hint", id="desk-empty"), "", hidden, None
        rows = data.requests_table(src)
        if run == data.LIVE:                  # the newest first: what has just come in is on the first page
            rows = rows[::-1]
        breached = [r for r in rows if r["sla_breached"]]
        closed = [r for r in rows if r["status"] == "closed"]
        summary = f"{len(rows)} requests, {len(closed)} closed, {len(breached)} past their SLA."
        if run == data.LIVE:
            summary = f"{live_note(src)}: {summary} Read again every {AUTO_S} s (Refresh reads them now)."
            if not rows:
                summary = html.P(f"{live_note(src)}: no requests yet. Citizens report problems as their day "
                                 f"goes on and they appear here by themselves (read every {AUTO_S} s); to see "
                                 "some sooner, jump the City page to the morning rush or raise its speed.",
                                 className="hint", id="desk-empty")
        new_sig = signature(run, rows)
        if new_sig == sig:                    # read again, nothing changed: only the summary's moment
            return no_update, no_update, summary, no_update, no_update, no_update
        by = {}
        for r in breached:
            by[r["service_code"]] = by.get(r["service_code"], 0) + 1
        lst = html.Ul([html.Li(f"{k}: {v}") for k, v in sorted(by.items(), key=lambda kv: -kv[1])]) if by else \
            html.P("None.")
        return rows, columns(rows, LABELS), summary, lst, ({} if rows else hidden), new_sig

    @app.callback(Output("desk-history", "children"), Input("desk-table", "selectedRows"), Input("desk-run", "value"))
    def history(selected, run):
        src = source(ctx, run)
        if not selected or not run or src is None:
            return html.P("No request selected.")
        rid = selected[0]["id"]
        h = data.request_history(src, rid)
        return html.Div([html.H3(f"Request {rid}"), html.Ol([
            html.Li(f"{x['at']} — {x['stage']} ({x['status']}){': ' + x['note'] if x['note'] else ''}"
                    f"{' by ' + x['by'] if x['by'] else ''}") for x in h])])
