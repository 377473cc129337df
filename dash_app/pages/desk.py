"""Service desk: a run's Open311 requests as a sortable, filterable grid (status, category,
district, SLA; times in Brașov local time, labelled), one request's timeline, and the SLA
breaches."""
from __future__ import annotations

from dash import Input, Output, dcc, html

from dash_app import data
from dash_app.grid import columns, grid

#: Header text of the request grid: times say which clock they are on.
LABELS = {"service_code": "category", "requested_at": f"requested ({data.TZ_LABEL})",
          "expected_at": f"due ({data.TZ_LABEL})", "closed_at": f"closed ({data.TZ_LABEL})",
          "sla_breached": "past SLA"}
NO_RUN = ("No finished run with a services store yet. Open the Scenario lab, press “Run” "
          "(the defaults take about a minute), then come back: its requests appear here.")


def run_picker(ctx, ident: str, need: str | None = None):
    opts = data.run_options(ctx.runs_dir, need)
    return html.Div([html.Label("Run", htmlFor=ident),
                     dcc.Dropdown(id=ident, options=opts, value=opts[0]["value"] if opts else None)],
                    className="field wide")


def layout(ctx):
    return html.Div([
        html.H1("Service desk"),
        html.Div([run_picker(ctx, "desk-run", "services.sqlite")], className="controls"),
        html.Div(id="desk-summary", role="status"),
        html.P(f"All times are {data.TZ_LABEL} (Europe/Bucharest).", className="hint", id="desk-tz"),
        grid("desk-table", page_size=15, labels=LABELS, selectable=True, filters=True,
             row_style={"styleConditions": [{"condition": "params.data.sla_breached",
                                             "style": {"backgroundColor": "#fde0cc"}}]}),
        html.H2("Timeline of the selected request"),
        html.P("Select a row in the table (click it, or move with the arrow keys and press Space)."),
        html.Div(id="desk-history"),
        html.H2("SLA breaches"),
        html.Div(id="desk-breaches"),
    ])


def register(app, ctx):
    @app.callback(Output("desk-table", "rowData"), Output("desk-table", "columnDefs"), Output("desk-summary", "children"),
                  Output("desk-breaches", "children"), Input("desk-run", "value"))
    def load(run):
        if not run:
            return [], [], html.P(NO_RUN, className="hint", id="desk-empty"), ""
        rows = data.requests_table(run)
        breached = [r for r in rows if r["sla_breached"]]
        closed = [r for r in rows if r["status"] == "closed"]
        summary = f"{len(rows)} requests, {len(closed)} closed, {len(breached)} past their SLA."
        by = {}
        for r in breached:
            by[r["service_code"]] = by.get(r["service_code"], 0) + 1
        lst = html.Ul([html.Li(f"{k}: {v}") for k, v in sorted(by.items(), key=lambda kv: -kv[1])]) if by else \
            html.P("None.")
        return rows, columns(rows, LABELS), summary, lst

    @app.callback(Output("desk-history", "children"), Input("desk-table", "selectedRows"), Input("desk-run", "value"))
    def history(selected, run):
        if not selected or not run:
            return html.P("No request selected.")
        rid = selected[0]["id"]
        h = data.request_history(run, rid)
        return html.Div([html.H3(f"Request {rid}"), html.Ol([
            html.Li(f"{x['at']} — {x['stage']} ({x['status']}){': ' + x['note'] if x['note'] else ''}"
                    f"{' by ' + x['by'] if x['by'] else ''}") for x in h])])
