"""Ledger: the recent anchored batches and payments (payers as hashes only) of the live twin (as
they stand now, read again by itself every :data:`dash_app.pages.desk.AUTO_S` seconds while it is
shown) or of a finished run, a receipt verifier (paste a receipt id: valid or not, and why), and a
permit lookup."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update

from dash_app import data
from dash_app.grid import grid
from dash_app.pages.desk import (AUTO_S, auto_refresh, live_note, preparing, register_auto, run_picker,
                                 signature, source)


def layout(ctx):
    return html.Div([
        html.H1("Ledger"),
        html.Div([run_picker(ctx, "ledger-run", "ledger.sqlite", live=True),
                  html.Button("Refresh", id="ledger-refresh", n_clicks=0,
                              title="read the live twin's ledger again")], className="controls"),
        auto_refresh("ledger-auto", ctx), dcc.Store(id="ledger-sig"),
        html.Div(id="ledger-summary", role="status", **{"aria-live": "off"}),
        html.H2("Verify a receipt"),
        html.Div([html.Label("Receipt id (payment ref 0x… or payment id)", htmlFor="ledger-receipt"),
                  dcc.Input(id="ledger-receipt", type="text", style={"width": "50%"}),
                  html.Button("Verify", id="ledger-verify", n_clicks=0, className="primary")], className="controls"),
        html.Div(id="ledger-result", role="status"),
        html.H2("Look up a permit"),
        html.Div([html.Label("Permit id", htmlFor="ledger-permit"), dcc.Input(id="ledger-permit", type="text"),
                  html.Button("Look up", id="ledger-permit-btn", n_clicks=0)], className="controls"),
        html.Div(id="ledger-permit-result", role="status"),
        html.H2("Recent batches"), html.Div(id="ledger-batches"),
        html.H2("Recent payments"), html.Div(id="ledger-payments"),
    ])


def _table(ident, rows, empty: str):
    """A grid of ``rows``, or ``empty`` said plainly (an empty AG Grid fails ARIA's required children)."""
    if not rows:
        return html.P(empty, className="hint")
    return grid(ident, rows, labels={"paid_at": f"paid ({data.TZ_LABEL})"})


def register(app, ctx):
    register_auto(app, ctx, "ledger-run", "ledger-auto", "ledger.sqlite")

    @app.callback(Output("ledger-batches", "children"), Output("ledger-payments", "children"),
                  Output("ledger-summary", "children"), Output("ledger-sig", "data"), Input("ledger-run", "value"),
                  Input("ledger-refresh", "n_clicks"), Input("ledger-auto", "n_intervals"), State("ledger-sig", "data"))
    def load(run, _refresh, _auto, sig):
        src = source(ctx, run)
        if not run or src is None:
            return html.P("No finished run with a ledger yet. Run a scenario with tax payments (e.g. "
                          "tax_deadline_rush) from the Scenario lab, then choose it here." + preparing(ctx),
                          className="hint", id="ledger-empty"), "", "", None
        t = data.ledger_tables(src)
        later = (f" yet: citizens pay as their day goes on, and their payments appear here by themselves "
                 f"(read every {AUTO_S} s)") if run == data.LIVE else ""
        summary = (f"{live_note(src)}: the latest {len(t['payments'])} payments, {len(t['batches'])} batches and "
                   f"{len(src['permits'])} permits. Read again every {AUTO_S} s (Refresh reads them now)."
                   if run == data.LIVE else "")
        new_sig = signature(run, t)
        if new_sig == sig:                    # read again, nothing changed: only the summary's moment
            return no_update, no_update, summary, no_update
        return (_table("ledger-batch-table", t["batches"], f"No batch anchored{later}."),
                _table("ledger-payment-table", t["payments"], f"No payment{later}."), summary, new_sig)

    @app.callback(Output("ledger-result", "children"), Input("ledger-verify", "n_clicks"),
                  Input("ledger-receipt", "n_submit"), State("ledger-run", "value"), State("ledger-receipt", "value"),
                  prevent_initial_call=True)
    def verify(_n, _s, run, rid):
        src = source(ctx, run)
        if not run or src is None:
            return html.P("Choose a run first.", className="bad")
        r = data.verify_receipt(src, rid or "")
        return html.Div([html.Strong("VALID" if r["valid"] else "NOT VALID", className="good" if r["valid"] else "bad"),
                         html.Span(f" — {r['reason']}")], id="ledger-verdict")

    @app.callback(Output("ledger-permit-result", "children"), Input("ledger-permit-btn", "n_clicks"),
                  State("ledger-run", "value"), State("ledger-permit", "value"), prevent_initial_call=True)
    def permit(_n, run, pid):
        src = source(ctx, run)
        found = data.permits(src) if run and src is not None else []
        match = [p for p in found if p["permit_id"] == (pid or "").strip()]
        if match:
            p = match[0]
            return html.P(f"{p['permit_id']}: issued at hour {p['issued_h']} for {p['request']}, transaction {p['tx_hash']}")
        return html.P(f"permit id: {pid!r} — not issued in this run ({len(found)} permits were)", className="bad")
