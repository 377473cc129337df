"""Scenario lab: run a study — one intervention against its baseline, with common random
numbers — in the background with progress, and read the answer: the KPIs with their labels,
units and 95 % intervals (from :mod:`services.analytics.kpi_catalogue`), where the change is
significant, the difference by district on the map, and the response-time CDFs. Finished runs
can be compared two by two; run B is offered only among the runs comparable with run A (the
others are listed, disabled, with what differs).

**Defaults that show something** (:func:`lab_defaults`): the city the control room was started
on when one was given, else the real Brașov of ``../shared/data`` when that folder is there, else
the demo town; a morning window (midnight to 10:00, the 7–9 peak inside — the citizens' day is
planned from midnight); enough citizens for effects to show (10,000 in a real city, 3,000 in the
demo town; ``$TWIN_LAB_POPULATION`` overrides, as do the page's query parameters); three
replications; the scenario's own study settings (``emergencies_x10`` for the ambulance station);
telemetry logged, so that the Sensors page has a device's readings to show.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from dash_app import data
from dash_app.grid import grid
from dash_app.theme import PALETTE, map_layout, road_trace
from scenarios import library_names, load_scenario
from scenarios.schema import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
BRASOV = "osm/brasov_all_highways.osm.bz2"


def shared_city() -> str | None:
    """The real Brașov file of the shared data folder (``$TWIN_SHARED_DATA``, ``../shared/data``
    beside the repository or the working folder), or None."""
    roots = [Path(os.environ["TWIN_SHARED_DATA"])] if os.environ.get("TWIN_SHARED_DATA") else []
    roots += [ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for r in roots:
        if (r / BRASOV).exists():
            return str((r / BRASOV).resolve())
    return None


def lab_defaults(ctx, q: dict | None = None) -> dict:
    """The lab's starting values (see the module docstring); ``q`` (query parameters) overrides."""
    q = q or {}
    city = q.get("city") or (ctx.city_name if ctx.city_name != "demo" else None) or shared_city() or "demo"
    pop = int(os.environ.get("TWIN_LAB_POPULATION") or (3000 if city == "demo" else 10000))
    return {"scenario": q.get("scenario", "new_ambulance_station"), "city": city,
            "population": int(q.get("population", pop)), "hours": float(q.get("hours", 10)),
            "seed": int(q.get("seed", 42)), "replications": int(q.get("replications", 3)),
            "telemetry": q.get("telemetry", "1") != "0"}


def _num(label, ident, value, **kw):
    return html.Div([html.Label(label, htmlFor=ident), dcc.Input(id=ident, type="number", value=value, **kw)],
                    className="field")


def layout(ctx, search: str = ""):
    q = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
    d = lab_defaults(ctx, q)
    runs = data.run_options(ctx.runs_dir)
    return html.Div([
        html.H1("Scenario lab"),
        html.H2("Run a study: one intervention against its baseline"),
        html.Div([
            html.Div([html.Label("Scenario", htmlFor="lab-scenario"),
                      dcc.Dropdown(id="lab-scenario", options=library_names(), value=d["scenario"],
                                   clearable=False)], className="field wide"),
            html.Div([html.Label("City (demo, or an OSM file)", htmlFor="lab-city"),
                      dcc.Input(id="lab-city", type="text", value=d["city"], debounce=True)], className="field wide"),
            _num("Citizens", "lab-population", d["population"], min=1),
            _num("Hours from midnight", "lab-hours", d["hours"], min=0.1),
            _num("Seed", "lab-seed", d["seed"], min=0),
            _num("Replications", "lab-reps", d["replications"], min=1, max=20),
            # a dropdown, not dcc.Checklist: Dash 4 renders a checklist as an unnamed listbox of
            # options holding inputs, which axe-core reports (no accessible name, nested controls)
            html.Div([html.Label("Log telemetry", htmlFor="lab-telemetry"),
                      dcc.Dropdown(id="lab-telemetry", options=[{"label": "yes (for the Sensors page)", "value": "on"},
                                                                {"label": "no", "value": "off"}],
                                   value="on" if d["telemetry"] else "off", clearable=False, searchable=False)],
                     className="field wide"),
            html.Button("Run", id="lab-run", n_clicks=0, className="primary"),
        ], className="controls"),
        html.Div(id="lab-description", className="hint"),
        html.P("A scenario that names a baseline runs as a study: the baseline and the scenario, the same "
               "citizens, hours and seeds (common random numbers), the scenario's study settings on both sides. "
               "The baseline itself runs alone. 10 hours from midnight cover the morning peak.", className="hint"),
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
            html.Div([html.Label("Run B (comparable with A)", htmlFor="lab-b"), dcc.Dropdown(id="lab-b", options=runs)],
                     className="field wide"),
            html.Button("Compare", id="lab-compare", n_clicks=0),
        ], className="controls"),
        html.Div(id="lab-compare-out"),
    ])


def kpi_table(rows: list[dict], ident: str):
    return grid(ident, rows, page_size=20, row_style={"styleConditions": [
        {"condition": "params.data.significant === 'yes'", "style": {"fontWeight": "bold"}}]})


def summary_rows(path) -> list[dict]:
    """A run's (or replication set's) KPIs as table rows: label, unit, mean [95 % interval]."""
    from services.analytics import kpi_catalogue as cat
    from services.analytics.compare import HEADLINE, kpis_of

    ks = kpis_of(path)
    rows = []
    for n in HEADLINE:
        e = cat.entry(n)
        iv = cat.interval(e, [k.get(n) for k in ks])
        if iv.mean is not None:
            rows.append({"KPI": e.label, "unit": e.unit, "mean [95% interval]": cat.fmt_interval(iv, e.unit)})
    return rows


def comparable_options(root, a: str | None) -> list[dict]:
    """Run B's options: every finished run, those not comparable with ``a`` disabled and labelled
    with what differs (:func:`scenarios.guard.check`)."""
    from scenarios.guard import check

    opts = data.run_options(root)
    if not a:
        return opts
    out = []
    for o in opts:
        if o["value"] == a:
            continue
        try:
            g = check(a, o["value"])
            bad = g["confounded"]
        except Exception as exc:      # an unreadable run: not comparable
            bad = [str(exc)[:60]]
        out.append(o if not bad else {**o, "label": f"{o['label']} — differs: {', '.join(bad)[:80]}",
                                      "disabled": True})
    return sorted(out, key=lambda o: bool(o.get("disabled")))


def comparison_view(ctx, r: dict) -> html.Div:
    """A comparison (``twin_app.study.compare_runs`` result) as the lab shows it."""
    from scenarios.guard import diff_lines
    from services.analytics import kpi_catalogue as cat
    from services.analytics.compare import cdf_figure, resolution_figure

    def cell(m, iv, unit):
        return cat.fmt_interval(cat.Interval(m, iv[0], iv[1]), unit)

    rows = []
    for name, v in list(r["kpis"].items()):
        if v["a"] is None and v["b"] is None:
            continue
        verdict = ""
        if v["significant"] and v["better"] != "neither":
            verdict = "better" if (v["diff"] < 0) == (v["better"] == "lower") else "worse"
        rows.append({"KPI": v["label"], "unit": v["unit"], "A": cell(v["a"], v["a_interval"], v["unit"]),
                     "B": cell(v["b"], v["b_interval"], v["unit"]),
                     "B − A": cell(v["diff"], v["diff_interval"], "" if v["unit"] == "share" else v["unit"]),
                     "significant": "yes" if v["significant"] else "", "change": verdict})
    warn = []
    if r.get("confounded"):
        warn = [html.P(f"Warning: A and B differ in more than the intervention ({', '.join(r['confounded'])}); the "
                       "difference mixes these changes.", role="alert", className="bad")]
    diff = diff_lines(r) if r.get("diff") else []
    sig = r.get("significant_districts") or []
    src = json.loads((data.first_run(r["a"]) / "manifest.json").read_text())["city"]["source"]
    return html.Div(warn + [
        html.P(f"{'Paired by seed (common random numbers)' if r['paired'] else 'Independent (seeds differ)'}; "
               f"replications {r['replications'][0]} and {r['replications'][1]}. Bold: the 95 % interval of the "
               "difference excludes 0."),
        html.Details([html.Summary(f"Parameters that differ ({len(diff)})"), html.Pre("\n".join(diff) or "none")]),
        kpi_table(rows, "lab-compare-table"),
        html.H3("Where the change is significant"),
        html.Ul([html.Li(f"{x['district']}: {x['label']} {cat.fmt(x['a'], x['unit'])} → {cat.fmt(x['b'], x['unit'])} "
                         f"({x['better_or_worse']})") for x in sig], id="lab-significant")
        if sig else html.P("No district shows a difference whose 95 % interval excludes 0.", id="lab-significant"),
        html.H3("Emergency response time p90 by district, B − A (minutes)"),
        dcc.Graph(id="lab-compare-map", figure=district_map(ctx, r, src)),
        html.H3("Response-time distribution"),
        dcc.Graph(id="lab-compare-cdf", figure=cdf_figure(r)),
        html.H3("Resolution-time distribution"),
        dcc.Graph(id="lab-compare-resolution", figure=resolution_figure(r)),
        html.H3("Over time"), dcc.Graph(id="lab-compare-time", figure=_over_time(r["a"], r["b"])),
    ])


def _over_time(a, b) -> go.Figure:
    ha, hb = data.hourly(a), data.hourly(b)
    t = go.Figure([go.Scatter(x=ha["h"], y=ha["open"], name="A open requests", line={"color": PALETTE["blue"]}),
                   go.Scatter(x=hb["h"], y=hb["open"], name="B open requests",
                              line={"color": PALETTE["orange"], "dash": "dash"})])
    t.update_layout(height=320, xaxis_title="hour", yaxis_title="open requests", margin={"t": 20})
    return t


def district_map(ctx, r: dict, src: str, kpi: str = "response_min_p90") -> go.Figure:
    """The city's roads and its districts coloured by B − A of ``kpi`` (ringed: significant)."""
    from services.analytics.compare import district_map_figure

    city = ctx.city(src)
    points = {d.name: (d.lon, d.lat) for d in city.districts}
    fig = district_map_figure(r, points, kpi, roads=road_trace(city))
    return map_layout(fig, city, height=520)


def register(app, ctx):
    @app.callback(Output("lab-description", "children"), Input("lab-scenario", "value"))
    def describe(name):
        try:
            sc = load_scenario(name)
        except ScenarioError as exc:
            return str(exc)
        extra = f" Study settings (both sides): {', '.join(sc.study)}." if sc.study else ""
        against = f" Compared against {sc.baseline!r}." if sc.baseline else ""
        return (sc.question or sc.description) + against + extra

    @app.callback(Output("lab-job", "data"), Output("lab-poll", "disabled"), Output("lab-progress", "children",
                                                                                  allow_duplicate=True),
                  Input("lab-run", "n_clicks"),
                  State("lab-scenario", "value"), State("lab-city", "value"), State("lab-population", "value"),
                  State("lab-hours", "value"), State("lab-seed", "value"), State("lab-reps", "value"),
                  State("lab-telemetry", "value"), prevent_initial_call=True)
    def run(_n, name, city, population, hours, seed, reps, telemetry):
        sets = ["sensors.log_telemetry=true"] if telemetry == "on" else []
        opts = dict(city=city or "demo", population=population, hours=hours, seed=seed, replications=reps)
        try:
            sc = load_scenario(name, **opts)
            if sc.baseline:
                from twin_app.study import plan_study

                plan_study(name, **opts, sets=sets)          # bad input fails here, clearly
                return ctx.jobs.submit_study(name, opts, sets), False, "queued"
            sc = load_scenario(name, **opts, sensors={"log_telemetry": telemetry == "on"})
        except (ScenarioError, ValueError) as exc:
            return no_update, True, f"Cannot run: {exc}"
        except Exception as exc:       # a TwinError (bad --set, a city that does not load) names the field
            return no_update, True, f"Cannot run: {exc}"
        return ctx.jobs.submit(sc), False, "queued"

    @app.callback(Output("lab-progress", "children"), Output("lab-progressbar", "value"), Output("lab-kpis", "children"),
                  Output("lab-poll", "disabled", allow_duplicate=True), Output("lab-a", "options"),
                  Output("lab-a", "value"), Output("lab-b", "value"), Output("lab-compare-out", "children",
                                                                              allow_duplicate=True),
                  Input("lab-poll", "n_intervals"), State("lab-job", "data"), prevent_initial_call=True)
    def poll(_n, job_id):
        job = ctx.jobs.status(job_id) if job_id else None
        if job is None:
            return "", "0", no_update, True, no_update, no_update, no_update, no_update
        if job["state"] in ("queued", "running"):
            return (f"{job['state']}: {job['progress'] * 100:.0f} %", str(job["progress"]), no_update, False,
                    no_update, no_update, no_update, no_update)
        if job["state"] == "failed":
            return f"failed: {job['error']}", "0", no_update, True, no_update, no_update, no_update, no_update
        opts = data.run_options(ctx.runs_dir)
        if job.get("study"):
            r = job["result"]
            return (f"done in {job['wall_s']} s: {job['id']}", "1",
                    html.Div([html.H3(f"Study of {r['study']['scenario']} against {r['study']['baseline']}"),
                              html.P(r["study"].get("question") or "")]), True, opts,
                    r["a"], r["b"], comparison_view(ctx, r))
        return (f"done in {job['wall_s']} s: {job['id']}", "1",
                html.Div([html.H3(f"KPIs of {job['id']}"), kpi_table(summary_rows(job["out"]), "lab-kpi-table")]),
                True, opts, no_update, job["out"], no_update)

    @app.callback(Output("lab-b", "options"), Input("lab-a", "value"), Input("lab-a", "options"))
    def b_options(a, _opts):
        return comparable_options(ctx.runs_dir, a)

    @app.callback(Output("lab-compare-out", "children"), Input("lab-compare", "n_clicks"),
                  State("lab-a", "value"), State("lab-b", "value"), prevent_initial_call=True)
    def do_compare(_n, a, b):
        if not a or not b:
            return html.P("Choose two finished runs (run A and run B).", role="alert")
        from scenarios.guard import check
        from twin_app.study import compare_runs

        allow = check(a, b)["confounded"]        # shown as a warning, not refused, in the lab
        r = compare_runs(a, b, allow)
        r["confounded"] = allow
        return comparison_view(ctx, r)
