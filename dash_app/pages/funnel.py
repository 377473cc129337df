"""Adoption: the funnel of the city's digital services for a finished run.

For the chosen run (the mean over its replications): the share of citizen × service pairs that
reached each stage, per persona (a funnel chart); the funnel table (the share now in each stage);
the headline figures (users at the start and the end, the inclusion gap, time to adoption,
support waits); drop-out reasons; and use by district and by service family. Everything comes
from :mod:`services.analytics.funnel` through the run's cached KPIs.
"""
from __future__ import annotations

from dash import Input, Output, dcc, html

from dash_app.grid import grid
from dash_app.pages.desk import run_picker

HEADLINE = ("adoption_using_share_start", "adoption_using_share", "adoption_aware_share", "inclusion_gap_start",
            "inclusion_gap", "adoption_new_users", "adoption_dropouts", "time_to_adopt_days_median",
            "support_contacts", "support_wait_h_mean", "support_gave_up")


def layout(ctx):
    return html.Div([
        html.H1("Adoption funnel"),
        html.P("How citizens come to use the digital services (reports, taxes, permits, transport information): "
               "unaware → aware → considering → onboarding → using, or dropped.", className="hint"),
        html.Div([run_picker(ctx, "funnel-run", "events.parquet")], className="controls"),
        html.Div(id="funnel-summary", role="status"),
        dcc.Graph(id="funnel-chart", config={"displaylogo": False}),
        # each table is hidden while it has no rows: an empty grid is no table at all (axe: ARIA)
        *[html.Div([html.H2(title), grid(ident, page_size=size)], id=f"{ident}-box", style=HIDDEN)
          for ident, title, size in GRIDS],
    ])


GRIDS = (("funnel-table", "Stage shares by persona", 10), ("funnel-reasons", "Why citizens dropped out", 10),
         ("funnel-districts", "By district", 20))


HIDDEN = {"display": "none"}


def _mean(ks: list[dict], key: str):
    v = [k.get(key) for k in ks if k.get(key) is not None]
    return sum(v) / len(v) if v else None


def funnel_view(run: str) -> dict:
    """What the page shows for ``run``: ``kpis`` (headline means), ``funnel``, ``table``,
    ``reasons``, ``districts`` rows."""
    from services.analytics.compare import kpis_of
    from services.analytics.funnel import STAGES, mean_funnel

    ks = kpis_of(run)
    funnel = mean_funnel(ks)
    table = [{"persona": p.replace("_", " ")} | {s: round(100 * (row.get(f"{s}_share") or 0), 1) for s in STAGES}
             for p, row in funnel.items()]
    reasons: dict = {}
    for k in ks:
        for r, n in (k.get("adoption_drop_reasons") or {}).items():
            reasons[r] = reasons.get(r, 0) + n / len(ks)
    districts: dict = {}
    for k in ks:
        for d, row in (k.get("adoption_by_district") or {}).items():
            for f, v in row.items():
                if v is not None:
                    districts.setdefault(d, {}).setdefault(f, []).append(v)
    return {"kpis": {n: _mean(ks, n) for n in HEADLINE}, "funnel": funnel, "table": table,
            "reasons": [{"reason": r.replace("_", " "), "drop-outs": round(n, 1)} for r, n in sorted(reasons.items())],
            "districts": [{"district": d} | {f"{f} (%)": round(100 * sum(v) / len(v), 1) for f, v in row.items()}
                          for d, row in sorted(districts.items())]}


def register(app, ctx):
    @app.callback(Output("funnel-chart", "figure"), Output("funnel-summary", "children"),
                  Output("funnel-table", "rowData"), Output("funnel-table", "columnDefs"),
                  Output("funnel-reasons", "rowData"), Output("funnel-reasons", "columnDefs"),
                  Output("funnel-districts", "rowData"), Output("funnel-districts", "columnDefs"),
                  *[Output(f"{ident}-box", "style") for ident, _, _ in GRIDS], Input("funnel-run", "value"))
    def load(run):
        import plotly.graph_objects as go

        from services.analytics import kpi_catalogue as cat
        from services.analytics.funnel import funnel_figure

        empty = go.Figure()
        if not run:
            return (empty, html.P("No finished run yet. Run a scenario of several days (e.g. awareness_campaign or "
                                  "skills_course_elderly) from the Scenario lab or `twin study`, then choose it here.",
                                  className="hint"), [], [], [], [], [], [], HIDDEN, HIDDEN, HIDDEN)
        v = funnel_view(run)
        if not v["funnel"]:
            return (empty, html.P("This run has no adoption funnel (it was made before the funnel existed, or "
                                  "with adoption.enabled: false).", className="hint"), [], [], [], [], [], [], HIDDEN, HIDDEN, HIDDEN)

        def cols(rows):
            return [{"field": k, "headerName": k} for k in (rows[0] if rows else {})]

        summary = html.Ul([html.Li(f"{cat.entry(n).label}: {cat.fmt(x, cat.entry(n).unit)}")
                           for n, x in v["kpis"].items()], id="funnel-kpis")
        return (funnel_figure({"funnel_by_persona": v["funnel"]}), summary, v["table"], cols(v["table"]),
                v["reasons"], cols(v["reasons"]), v["districts"], cols(v["districts"]),
                *[{} if rows else HIDDEN for rows in (v["table"], v["reasons"], v["districts"])])
