"""Service desk: a run's Open311 requests as a sortable, filterable table (status, category,
district, SLA), one request's timeline, and the SLA breaches."""
from __future__ import annotations

from dash import Input, Output, dash_table, dcc, html

from dash_app import data


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
        dash_table.DataTable(id="desk-table", page_size=15, sort_action="native", filter_action="native",
                             row_selectable=False, style_cell={"textAlign": "left", "fontFamily": "inherit"},
                             style_data_conditional=[{"if": {"filter_query": "{sla_breached} = true"},
                                                      "backgroundColor": "#fde0cc"}]),
        html.H2("Timeline of the selected request"),
        html.P("Select a cell in the table (click or arrow keys)."),
        html.Div(id="desk-history"),
        html.H2("SLA breaches"),
        html.Div(id="desk-breaches"),
    ])


def register(app, ctx):
    @app.callback(Output("desk-table", "data"), Output("desk-table", "columns"), Output("desk-summary", "children"),
                  Output("desk-breaches", "children"), Input("desk-run", "value"))
    def load(run):
        if not run:
            return [], [], "No finished run with a services store yet: run one in the Scenario lab.", ""
        rows = data.requests_table(run)
        cols = [{"name": c, "id": c} for c in (rows[0] if rows else {"id": 0})]
        breached = [r for r in rows if r["sla_breached"]]
        closed = [r for r in rows if r["status"] == "closed"]
        summary = f"{len(rows)} requests, {len(closed)} closed, {len(breached)} past their SLA."
        by = {}
        for r in breached:
            by[r["service_code"]] = by.get(r["service_code"], 0) + 1
        lst = html.Ul([html.Li(f"{k}: {v}") for k, v in sorted(by.items(), key=lambda kv: -kv[1])]) if by else \
            html.P("None.")
        return rows, cols, summary, lst

    @app.callback(Output("desk-history", "children"), Input("desk-table", "active_cell"), Input("desk-run", "value"),
                  Input("desk-table", "derived_viewport_data"))
    def history(cell, run, view):
        if not cell or not run or not view or cell["row"] >= len(view):
            return html.P("No request selected.")
        rid = view[cell["row"]]["id"]
        h = data.request_history(run, rid)
        return html.Div([html.H3(f"Request {rid}"), html.Ol([
            html.Li(f"{x['at']} — {x['stage']} ({x['status']}){': ' + x['note'] if x['note'] else ''}"
                    f"{' by ' + x['by'] if x['by'] else ''}") for x in h])])
