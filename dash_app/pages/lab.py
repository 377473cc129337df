"""Scenario lab: pick a library scenario, change its parameters, run it in the background with
progress, list finished runs, and compare two runs side by side (KPIs with 95 % CIs and the
difference, charts over time, the difference in response time by district on the map)."""
from __future__ import annotations

from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import Input, Output, State, dash_table, dcc, html, no_update

from dash_app import data
from dash_app.theme import PALETTE, map_layout, road_trace
from scenarios import library_names, load_scenario
from scenarios.schema import ScenarioError


def _num(label, ident, value, **kw):
    return html.Div([html.Label(label, htmlFor=ident), dcc.Input(id=ident, type="number", value=value, **kw)],
                    className="field")


def layout(ctx, search: str = ""):
    q = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
    runs = data.run_options(ctx.runs_dir)
    return html.Div([
        html.H1("Scenario lab"),
        html.H2("Run a scenario"),
        html.Div([
            html.Div([html.Label("Scenario", htmlFor="lab-scenario"),
                      dcc.Dropdown(id="lab-scenario", options=library_names(), value=q.get("scenario", "baseline"),
                                   clearable=False)], className="field wide"),
            _num("Population", "lab-population", int(q.get("population", 500)), min=1),
            _num("Hours", "lab-hours", float(q.get("hours", 6)), min=0.1),
            _num("Seed", "lab-seed", int(q.get("seed", 42)), min=0),
            _num("Replications", "lab-reps", int(q.get("replications", 1)), min=1, max=20),
            html.Button("Run", id="lab-run", n_clicks=0, className="primary"),
        ], className="controls"),
        html.Div(id="lab-description", className="hint"),
        html.Div([html.Progress(id="lab-progressbar", value="0", max="1", **{"aria-label": "run progress"}),
                  html.Span(id="lab-progress", role="status")], className="progress"),
        html.Div(id="lab-kpis"),
        dcc.Store(id="lab-job"),
        dcc.Interval(id="lab-poll", interval=700, disabled=True),
        html.H2("Compare two runs"),
        html.Div([
            html.Div([html.Label("Run A", htmlFor="lab-a"), dcc.Dropdown(id="lab-a", options=runs,
                                                                          value=runs[1]["value"] if len(runs) > 1 else None)],
                     className="field wide"),
            html.Div([html.Label("Run B", htmlFor="lab-b"), dcc.Dropdown(id="lab-b", options=runs,
                                                                          value=runs[0]["value"] if runs else None)],
                     className="field wide"),
            html.Button("Compare", id="lab-compare", n_clicks=0),
        ], className="controls"),
        html.Div(id="lab-compare-out"),
    ])


def kpi_table(rows: list[dict], ident: str):
    cols = list(rows[0]) if rows else ["KPI"]
    return dash_table.DataTable(id=ident, data=rows, columns=[{"name": c, "id": c} for c in cols],
                                style_cell={"textAlign": "left", "fontFamily": "inherit"},
                                style_data_conditional=[{"if": {"filter_query": "{significant} = yes"},
                                                         "fontWeight": "bold"}], sort_action="native")


def _fmt(m, h):
    if m is None:
        return "–"
    return f"{m:.3g}" + (f" ± {h:.2g}" if h is not None else "")


def register(app, ctx):
    @app.callback(Output("lab-description", "children"), Input("lab-scenario", "value"))
    def describe(name):
        try:
            return load_scenario(name).description
        except ScenarioError as exc:
            return str(exc)

    @app.callback(Output("lab-job", "data"), Output("lab-poll", "disabled"), Output("lab-progress", "children",
                                                                                  allow_duplicate=True),
                  Input("lab-run", "n_clicks"),
                  State("lab-scenario", "value"), State("lab-population", "value"), State("lab-hours", "value"),
                  State("lab-seed", "value"), State("lab-reps", "value"), prevent_initial_call=True)
    def run(_n, name, population, hours, seed, reps):
        try:
            sc = load_scenario(name, population=population, hours=hours, seed=seed, replications=reps)
        except ScenarioError as exc:
            return no_update, True, f"Cannot run: {exc}"
        return ctx.jobs.submit(sc), False, "queued"

    @app.callback(Output("lab-progress", "children"), Output("lab-progressbar", "value"), Output("lab-kpis", "children"),
                  Output("lab-poll", "disabled", allow_duplicate=True), Output("lab-a", "options"),
                  Output("lab-b", "options"), Output("lab-b", "value"),
                  Input("lab-poll", "n_intervals"), State("lab-job", "data"), prevent_initial_call=True)
    def poll(_n, job_id):
        job = ctx.jobs.status(job_id) if job_id else None
        if job is None:
            return "", "0", no_update, True, no_update, no_update, no_update
        if job["state"] in ("queued", "running"):
            return (f"{job['state']}: {job['progress'] * 100:.0f} %", str(job["progress"]), no_update, False,
                    no_update, no_update, no_update)
        if job["state"] == "failed":
            return f"failed: {job['error']}", "0", no_update, True, no_update, no_update, no_update
        from services.analytics.compare import HEADLINE, summarise

        s = summarise(job["out"])
        rows = [{"KPI": k, "mean ± 95% CI": _fmt(v["mean"], v["ci95"])} for k, v in s.items() if k in HEADLINE]
        opts = data.run_options(ctx.runs_dir)
        return (f"done in {job['wall_s']} s: {job['id']}", "1",
                html.Div([html.H3(f"KPIs of {job['id']}"), kpi_table(rows, "lab-kpi-table")]), True,
                opts, opts, job["out"])

    @app.callback(Output("lab-compare-out", "children"), Input("lab-compare", "n_clicks"),
                  State("lab-a", "value"), State("lab-b", "value"), prevent_initial_call=True)
    def do_compare(_n, a, b):
        if not a or not b:
            return html.P("Choose two finished runs (run A and run B).", role="alert")
        from services.analytics.compare import compare, kpis_of

        r = compare(a, b)
        rows = [{"KPI": k, "A": _fmt(v["a"], v["a_ci95"]), "B": _fmt(v["b"], v["b_ci95"]),
                 "B − A": _fmt(v["diff"], v["diff_ci95"]), "significant": "yes" if v["significant"] else ""}
                for k, v in r["kpis"].items()]
        ha, hb = data.hourly(a), data.hourly(b)
        t = go.Figure([go.Scatter(x=ha["h"], y=ha["open"], name="A open requests", line={"color": PALETTE["blue"]}),
                       go.Scatter(x=hb["h"], y=hb["open"], name="B open requests",
                                  line={"color": PALETTE["orange"], "dash": "dash"})])
        t.update_layout(height=320, xaxis_title="hour", yaxis_title="open requests", margin={"t": 20})
        return html.Div([
            html.P(f"{'Paired by seed (common random numbers)' if r['paired'] else 'Independent'}; "
                   f"replications {r['replications'][0]} and {r['replications'][1]}. Bold: the 95 % interval of "
                   "the difference excludes 0."),
            kpi_table(rows, "lab-compare-table"),
            html.H3("Over time"), dcc.Graph(id="lab-compare-time", figure=t),
            html.H3("Response time p50 by district, B − A (minutes)"),
            dcc.Graph(id="lab-compare-map", figure=district_map(ctx, kpis_of(a), kpis_of(b), a)),
        ])


def district_map(ctx, ka, kb, run_a) -> go.Figure:
    """District centres coloured by the mean difference in response time p50 (B − A)."""
    import json

    import numpy as np

    def mean_by(ks):
        out = {}
        for k in ks:
            for d, v in (k.get("response_by_district") or {}).items():
                if v.get("p50_min") is not None:
                    out.setdefault(d, []).append(v["p50_min"])
        return {d: float(np.mean(v)) for d, v in out.items()}

    ma, mb = mean_by(ka), mean_by(kb)
    src = json.loads((data.first_run(run_a) / "manifest.json").read_text())["city"]["source"]
    city = ctx.city(src)
    names = [d for d in city.districts if d.name in ma and d.name in mb]
    diff = [mb[d.name] - ma[d.name] for d in names]
    lim = max([abs(x) for x in diff] + [0.1])
    fig = go.Figure([road_trace(city), go.Scatter(
        x=[d.lon for d in names], y=[d.lat for d in names], mode="markers+text", text=[f"{x:+.1f}" for x in diff],
        textposition="top center", hovertext=[d.name for d in names], name="B − A (min)",
        marker={"size": 22, "color": diff, "colorscale": "RdBu_r", "cmin": -lim, "cmax": lim, "showscale": True,
                "colorbar": {"title": "min"}, "line": {"color": "#333", "width": 1}})])
    return map_layout(fig, city, height=480)
