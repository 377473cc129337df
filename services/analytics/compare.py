"""Replications and comparisons: means with 95 % confidence intervals, paired differences.

A run directory is either one run (``manifest.json``) or a set of replications
(``replications.json`` listing ``rep-NN`` runs with seeds ``seed, seed+1, …``). Two sets run with
the same seeds use **common random numbers**: replication *k* of both scenarios saw the same
random streams, so :func:`compare` pairs them and reports the mean difference with a paired
t-interval, much narrower than two independent intervals.

Labels, units, better directions and the interval of each KPI come from
:mod:`~services.analytics.kpi_catalogue`. Beyond the means, :func:`compare` gives each KPI by
district with its difference and interval, the districts where the change is significant, and
the distributions (response-time CDF per side, resolution-time histogram).

:func:`report_html` writes the comparison as a self-contained HTML page (plotly.js inlined — it
opens offline and fetches nothing): the KPI table, the significant districts, the district map,
the CDFs and histograms, one panel per KPI, and optionally the baseline's plausibility.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from scipy import stats

from services.analytics import kpi_catalogue as catalogue
from services.analytics.kpis import run_kpis

HEADLINE = ("reports_filed", "requests_received", "requests_closed", "sla_compliance", "resolution_h_median", "resolution_h_p90",
            "field_resolution_h_mean", "field_resolution_h_p90",
            "sla_breaches", "gave_up", "emergencies", "response_min_p50", "response_min_p90", "coverage_8min",
            "coverage_15min", "chat_conversations",
            "chat_containment_rate", "chat_handoff_rate", "satisfaction", "payments_anchored", "anchoring_lag_s",
            "little_L", "little_lambda_per_h", "little_W_h",
            "adoption_using_share", "adoption_aware_share", "inclusion_gap", "adoption_new_users",
            "adoption_dropouts", "time_to_adopt_days_median", "support_contacts", "support_wait_h_mean")


def run_dirs(path: str | Path) -> list[Path]:
    """The run directories behind ``path`` (a run or a replication set)."""
    p = Path(path)
    if (p / "replications.json").exists():
        return [p / r for r in json.loads((p / "replications.json").read_text())["runs"]]
    if (p / "manifest.json").exists():
        return [p]
    raise FileNotFoundError(f"{path}: neither a run (manifest.json) nor replications (replications.json)")


def kpis_of(path: str | Path) -> list[dict]:
    """Flat numeric KPIs of each replication (cached in ``analytics.json`` beside the log, with
    the code's stamp: a cache newer than the log but made by other code is computed again)."""
    from twin.codeversion import code_version

    out = []
    for d in run_dirs(path):
        cache = d / "analytics.json"
        log = d / "events.parquet"
        k = None
        if cache.exists() and cache.stat().st_mtime >= log.stat().st_mtime:
            k = json.loads(cache.read_text())
            if k.pop("_code", None) != code_version():
                k = None
        if k is None:
            k = run_kpis(d)
            cache.write_text(json.dumps(k | {"_code": code_version()}, default=str))
        out.append(k)
    return out


def seeds_of(path) -> list[int]:
    return [json.loads((d / "manifest.json").read_text())["seed"] for d in run_dirs(path)]


def ci95(values) -> tuple[float | None, float | None]:
    """Mean and half-width of the 95 % t confidence interval (half-width None for one value)."""
    v = np.asarray([x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))], float)
    if len(v) == 0:
        return None, None
    if len(v) == 1:
        return float(v[0]), None
    return float(v.mean()), float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))


def summarise(path, names=HEADLINE) -> dict:
    """Each KPI of a run or replication set: ``mean``, ``ci95`` (t half-width), ``n``, and from
    the catalogue ``label``, ``unit`` and ``interval`` (``[lo, hi]`` by the KPI's kind)."""
    ks = kpis_of(path)
    out = {}
    for n in names:
        vals = [k.get(n) for k in ks]
        e = catalogue.entry(n)
        iv = catalogue.interval(e, vals)
        out[n] = dict(zip(("mean", "ci95"), ci95(vals))) | {"n": len(ks), "label": e.label, "unit": e.unit,
                                                             "interval": [iv.lo, iv.hi]}
    return out


def compare(path_a, path_b, names=HEADLINE) -> dict:
    """Each KPI of A and B and the difference B − A, paired when the seeds match.

    Per KPI (``result["kpis"][name]``): ``label``, ``unit``, ``better`` (from
    :mod:`~services.analytics.kpi_catalogue`), ``a``, ``b``, ``diff`` (means), their intervals
    ``a_interval``, ``b_interval``, ``diff_interval`` as ``[lo, hi]`` (the catalogue's method per
    KPI kind: a count's never goes below 0, a proportion's stays in [0, 1]), ``a_ci95``,
    ``b_ci95``, ``diff_ci95`` (the larger distance from the mean to a bound, for a ± display) and
    ``significant`` (the difference's interval excludes 0).

    Also ``by_district`` (:func:`compare_by_district`), ``significant_districts`` and
    ``distributions`` (:func:`distributions`).
    """
    ka, kb = kpis_of(path_a), kpis_of(path_b)
    paired = seeds_of(path_a) == seeds_of(path_b) and len(ka) == len(kb)
    rows = {n: _row(n, [k.get(n) for k in ka], [k.get(n) for k in kb], paired) for n in names}
    by_district = compare_by_district(ka, kb, paired)
    from services.analytics.funnel import mean_funnel

    return {"a": str(path_a), "b": str(path_b), "replications": [len(ka), len(kb)], "paired": paired, "kpis": rows,
            "by_district": by_district, "significant_districts": significant_districts(by_district),
            "distributions": distributions(path_a, path_b),
            "funnel": {"a": mean_funnel(ka), "b": mean_funnel(kb)}}


def _row(name: str, a: list, b: list, paired: bool) -> dict:
    """One KPI's comparison row (see :func:`compare`)."""
    e = catalogue.entry(name)
    ia, ib = catalogue.interval(e, a), catalogue.interval(e, b)
    d = catalogue.interval(e, a, b, paired=paired)
    return {"label": e.label, "unit": e.unit, "better": e.better,
            "a": ia.mean, "a_interval": [ia.lo, ia.hi], "a_ci95": ia.half,
            "b": ib.mean, "b_interval": [ib.lo, ib.hi], "b_ci95": ib.half,
            "diff": d.mean, "diff_interval": [d.lo, d.hi], "diff_ci95": d.half, "significant": d.excludes_zero()}


def compare_by_district(ka: list[dict], kb: list[dict], paired: bool) -> dict:
    """Per district, the district-level KPIs (emergency response p50/p90 and count, requests
    closed, SLA compliance, resolution median — named as the city-level KPIs, see
    :data:`~services.analytics.kpi_catalogue.DISTRICT_KPIS`) compared like :func:`compare`'s rows.

    A replication in which a district had no such event counts as missing for a time or share,
    and as 0 for a count."""
    districts = sorted({d for k in ka + kb for table, _ in catalogue.DISTRICT_KPIS for d in (k.get(table) or {})})
    out: dict = {}
    for dist in districts:
        row = {}
        for (table, field), name in catalogue.DISTRICT_KPIS.items():
            zero = 0 if catalogue.entry(name).kind == "count" else None

            def vals(ks):
                return [((k.get(table) or {}).get(dist) or {}).get(field, zero) for k in ks]

            a, b = vals(ka), vals(kb)
            if all(x in (None, 0) for x in a + b) and zero is None:
                continue
            row[name] = _row(name, a, b, paired)
        if row:
            out[dist] = row
    return out


def significant_districts(by_district: dict) -> list[dict]:
    """The (district, KPI) pairs whose difference is significant, largest relative change first:
    ``{district, kpi, label, unit, a, b, diff, diff_interval, better_or_worse}``."""
    out = []
    for dist, row in by_district.items():
        for name, r in row.items():
            if not r["significant"]:
                continue
            e = catalogue.entry(name)
            verdict = "neither" if e.better == "neither" else (
                "better" if (r["diff"] < 0) == (e.better == "lower") else "worse")
            out.append({"district": dist, "kpi": name, "label": e.label, "unit": e.unit, "a": r["a"], "b": r["b"],
                        "diff": r["diff"], "diff_interval": r["diff_interval"], "better_or_worse": verdict})
    return sorted(out, key=lambda x: -abs(x["diff"]) / max(abs(x["a"] or 0), 1e-9))


def _values(path, kind: str, field: str, scale: float) -> np.ndarray:
    """Every ``payload.field`` of the ``kind`` events of every replication of ``path``, scaled."""
    import duckdb

    logs = ", ".join(f"'{(d / 'events.parquet').as_posix()}'" for d in run_dirs(path))
    rows = duckdb.sql(f"""SELECT (payload->>'{field}')::DOUBLE FROM read_parquet([{logs}])
                          WHERE kind = '{kind}' AND payload->>'{field}' IS NOT NULL""").fetchall()
    return np.asarray([r[0] for r in rows], float) * scale


def distributions(path_a, path_b, points: int = 101, bins: int = 24) -> dict:
    """What the means hide, pooled over the replications of each side:

    * ``response_min``: the emergency response-time CDF per side, as ``{"a": {"x", "p"}, "b": …}``
      (``points`` quantiles, minutes) with ``n`` per side;
    * ``resolution_h``: a histogram of request resolution times on shared bin ``edges`` (hours),
      ``a`` and ``b`` counts per bin.
    """
    out: dict = {}
    ra, rb = _values(path_a, "on_scene", "response_s", 1 / 60), _values(path_b, "on_scene", "response_s", 1 / 60)
    p = np.linspace(0, 1, points)
    out["response_min"] = {side: {"n": len(v), "x": np.quantile(v, p).round(3).tolist() if len(v) else [],
                                  "p": p.round(3).tolist() if len(v) else []}
                           for side, v in (("a", ra), ("b", rb))}
    ha, hb = _values(path_a, "request_closed", "resolution_h", 1), _values(path_b, "request_closed", "resolution_h", 1)
    both = np.concatenate([ha, hb])
    if len(both):
        edges = np.histogram_bin_edges(both, bins=bins, range=(0, float(np.quantile(both, 0.99)) or 1.0))
        out["resolution_h"] = {"edges": edges.round(3).tolist(), "a": np.histogram(ha, edges)[0].tolist(),
                               "b": np.histogram(hb, edges)[0].tolist(), "n": [len(ha), len(hb)],
                               "beyond": [int((ha > edges[-1]).sum()), int((hb > edges[-1]).sum())]}
    else:
        out["resolution_h"] = {"edges": [], "a": [], "b": [], "n": [0, 0], "beyond": [0, 0]}
    return out


def district_points(path) -> dict[str, tuple[float, float]]:
    """``{district: (lon, lat)}`` of the city of the run(s) at ``path``: the city's own district
    points (from its manifest's source), else the mean position of the district's events."""
    import duckdb

    first = run_dirs(path)[0]
    try:
        from twin.city import load_city

        src = json.loads((first / "manifest.json").read_text())["city"]["source"]
        return {d.name: (float(d.lon), float(d.lat)) for d in load_city(src).districts}
    except Exception:   # the city file is not here: place districts where their events were
        rows = duckdb.sql(f"""SELECT payload->>'district', avg(lon), avg(lat)
                              FROM read_parquet('{(first / "events.parquet").as_posix()}')
                              WHERE kind IN ('on_scene', 'request_closed') AND lon IS NOT NULL
                              GROUP BY 1""").fetchall()
        return {d: (x, y) for d, x, y in rows if d}


def district_map_figure(result: dict, points: dict, kpi: str = "response_min_p90", roads=None):
    """District points coloured by the difference B − A of ``kpi`` (blue: lower, red: higher);
    a ring marks a significant difference. ``roads`` is an optional background trace."""
    import plotly.graph_objects as go

    e = catalogue.entry(kpi)
    rows = [(d, r[kpi]) for d, r in result.get("by_district", {}).items()
            if kpi in r and r[kpi]["diff"] is not None and d in points]
    diff = [r["diff"] for _, r in rows]
    lim = max([abs(x) for x in diff] + [0.1])
    fig = go.Figure([roads] if roads is not None else [])
    fig.add_trace(go.Scatter(
        x=[points[d][0] for d, _ in rows], y=[points[d][1] for d, _ in rows], mode="markers+text",
        text=[f"{d}<br>{r['diff']:+.2f}{'*' if r['significant'] else ''}" for d, r in rows], textposition="top center",
        hovertext=[f"{d}: A {catalogue.fmt(r['a'], e.unit)}, B {catalogue.fmt(r['b'], e.unit)}, B − A "
                   f"{catalogue.fmt(r['diff'], e.unit)} [{catalogue.fmt(r['diff_interval'][0])}, "
                   f"{catalogue.fmt(r['diff_interval'][1])}]" for d, r in rows],
        name=f"B − A: {e.title}",
        marker={"size": 22, "color": diff, "colorscale": "RdBu_r", "cmin": -lim, "cmax": lim, "showscale": True,
                "colorbar": {"title": e.unit},
                "line": {"color": ["#000" if r["significant"] else "#999" for _, r in rows],
                         "width": [3 if r["significant"] else 1 for _, r in rows]}}))
    fig.update_layout(height=520, title=f"{e.label} by district, B − A ({e.unit}); * significant",
                      plot_bgcolor="white", xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x",
                                                                             "scaleratio": 1.4},
                      annotations=[{"text": "© OpenStreetMap contributors", "showarrow": False, "xref": "paper",
                                    "yref": "paper", "x": 1, "y": 0, "xanchor": "right"}])
    return fig


def cdf_figure(result: dict):
    """The emergency response-time CDF of A and B."""
    import plotly.graph_objects as go

    r = result["distributions"]["response_min"]
    fig = go.Figure([go.Scatter(x=r[s]["x"], y=r[s]["p"], name=f"{s.upper()} (n = {r[s]['n']})", mode="lines",
                                line={"color": c, "dash": dash}, line_shape="hv")
                     for s, c, dash in (("a", "#0072B2", "solid"), ("b", "#E69F00", "dash"))])
    fig.update_layout(height=380, title="Emergency response time: share reached within x minutes",
                      xaxis_title="response time (min)", yaxis_title="share of emergencies", yaxis_range=[0, 1])
    return fig


def resolution_figure(result: dict):
    """Histogram of request resolution times, A and B on shared bins."""
    import plotly.graph_objects as go

    r = result["distributions"]["resolution_h"]
    e = r["edges"]
    mids = [(x + y) / 2 for x, y in zip(e[:-1], e[1:])]
    fig = go.Figure([go.Bar(x=mids, y=r[s], name=f"{s.upper()} (n = {n})", marker_color=c, opacity=0.75)
                     for s, c, n in (("a", "#0072B2", r["n"][0]), ("b", "#E69F00", r["n"][1]))])
    fig.update_layout(height=360, barmode="overlay", title="Request resolution time", xaxis_title="hours to close",
                      yaxis_title="requests (all replications)")
    return fig


def report_html(result: dict, path: str | Path, title: str = "SmartCity Twin — scenario comparison",
                plausibility: dict | bool | None = True) -> Path:
    """Write the comparison as a self-contained HTML page (plotly.js inlined: it opens offline
    and loads nothing from the network).

    Sections: the KPI table (labels and units from the catalogue, intervals, B − A, significance
    and whether the change is better or worse), the districts where the change is significant,
    the district map of the response-time difference, the response-time CDFs, the
    resolution-time histogram, the adoption funnel by persona of each side, one small panel per KPI, and the plausibility of the baseline:
    ``plausibility`` is a :func:`services.analytics.plausibility.plausibility` result, True
    (default: computed from A's first replication, left out if A's files do not allow it) or
    None/False (no such section).
    """
    import html as _h

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = [n for n, r in result["kpis"].items() if r["a"] is not None and r["b"] is not None]
    cols = 3
    rows_n = max(1, math.ceil(len(names) / cols))
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=[catalogue.label_unit(n) for n in names])
    for i, n in enumerate(names):
        r = result["kpis"][n]
        err = [[r["a"] - (r["a_interval"][0] if r["a_interval"][0] is not None else r["a"]),
                r["b"] - (r["b_interval"][0] if r["b_interval"][0] is not None else r["b"])],
               [(r["a_interval"][1] if r["a_interval"][1] is not None else r["a"]) - r["a"],
                (r["b_interval"][1] if r["b_interval"][1] is not None else r["b"]) - r["b"]]]
        fig.add_trace(go.Bar(x=["A", "B"], y=[r["a"], r["b"]], marker_color=["#0072B2", "#E69F00"],
                             error_y={"type": "data", "symmetric": False, "array": err[1], "arrayminus": err[0]},
                             showlegend=False), row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=260 * rows_n, title="Each KPI: mean and 95 % interval")
    mode = "paired (common random numbers)" if result["paired"] else "independent"
    parts = [f"<h1>{_h.escape(title)}</h1><p>A = {_h.escape(result['a'])} · B = {_h.escape(result['b'])} · {mode} · "
             f"replications {result['replications']}</p>", "<h2>KPIs</h2>", kpi_table_html(result)]
    sig = result.get("significant_districts") or []
    parts.append("<h2>Where the change is significant</h2>" + (
        "<table border=1 cellpadding=4><tr><th>district</th><th>KPI</th><th>A</th><th>B</th><th>B − A [95 %]</th>"
        "<th></th></tr>" + "".join(
            f"<tr><td>{_h.escape(x['district'])}</td><td>{_h.escape(x['label'])} ({x['unit']})</td>"
            f"<td>{catalogue.fmt(x['a'], x['unit'])}</td><td>{catalogue.fmt(x['b'], x['unit'])}</td>"
            f"<td>{catalogue.fmt(x['diff'])} [{catalogue.fmt(x['diff_interval'][0])}, "
            f"{catalogue.fmt(x['diff_interval'][1])}]</td><td>{x['better_or_worse']}</td></tr>" for x in sig)
        + "</table>" if sig else "<p>No district shows a difference whose 95 % interval excludes 0.</p>"))
    funnel = result.get("funnel") or {}
    if funnel.get("a") or funnel.get("b"):
        from services.analytics.funnel import funnel_table_html

        parts.append("<h2>Adoption funnel by persona (share of citizen × service pairs per stage, A → B)</h2>"
                     + funnel_table_html(funnel.get("a") or {}, funnel.get("b") or {}))
    figs = []
    try:
        points = district_points(result["a"])
    except Exception:
        points = {}
    if points and result.get("by_district"):
        figs.append(("District map", district_map_figure(result, points)))
    if result.get("distributions", {}).get("response_min", {}).get("a", {}).get("n"):
        figs.append(("Response-time distribution", cdf_figure(result)))
    if result.get("distributions", {}).get("resolution_h", {}).get("edges"):
        figs.append(("Resolution-time distribution", resolution_figure(result)))
    if funnel.get("a") or funnel.get("b"):
        from services.analytics.funnel import funnel_figure

        for side in ("a", "b"):
            if funnel.get(side):
                figs.append((f"Adoption funnel, {side.upper()}", funnel_figure(
                    {"funnel_by_persona": funnel[side]},
                    f"{side.upper()}: share of citizen × service pairs that reached each stage, by persona")))
    figs.append(("All KPIs", fig))
    first = True
    for head, f in figs:
        parts.append(f"<h2>{head}</h2>" + f.to_html(full_html=False, include_plotlyjs=first))
        first = False
    if plausibility is True:
        from services.analytics.plausibility import plausibility as _plausibility

        try:
            plausibility = _plausibility(run_dirs(result["a"])[0])
        except (FileNotFoundError, KeyError, ValueError):
            plausibility = None
    if plausibility:
        from services.analytics.plausibility import to_html as plausibility_html

        parts.append("<h2>Plausibility of the baseline (A)</h2>" + plausibility_html(plausibility))
    html = (f"<html><head><meta charset='utf-8'><title>{_h.escape(title)}</title></head><body>" + "".join(parts)
            + "<p>© OpenStreetMap contributors (road data of the cities simulated).</p></body></html>")
    out = Path(path)
    out.write_text(html, encoding="utf-8")
    return out


def kpi_table_html(result: dict) -> str:
    """The KPI table of a comparison as HTML: label (unit), A, B, B − A with intervals."""
    import html as _h

    def cell(m, iv, unit):
        return _h.escape(catalogue.fmt_interval(catalogue.Interval(m, iv[0], iv[1]), unit))

    rows = []
    for n, r in result["kpis"].items():
        verdict = ""
        if r["significant"] and r["better"] != "neither":
            verdict = "better" if (r["diff"] < 0) == (r["better"] == "lower") else "worse"
        rows.append(f"<tr><td title='{_h.escape(catalogue.entry(n).meaning)}'>{_h.escape(r['label'])}</td>"
                    f"<td>{_h.escape(r['unit'])}</td><td>{cell(r['a'], r['a_interval'], r['unit'])}</td>"
                    f"<td>{cell(r['b'], r['b_interval'], r['unit'])}</td>"
                    f"<td>{cell(r['diff'], r['diff_interval'], '' if r['unit'] == 'share' else r['unit'])}"
                    f"{' *' if r['significant'] else ''}</td><td>{verdict}</td></tr>")
    return ("<table border=1 cellpadding=4><tr><th>KPI</th><th>unit</th><th>A: mean [95 % interval]</th><th>B</th>"
            "<th>B − A</th><th>change</th></tr>" + "".join(rows) + "</table><p>* the 95 % interval of the difference "
            "excludes 0. Counts: quasi-Poisson intervals; shares: logit scale; times and rates: t, cut at 0; differences: "
            "t-intervals (paired when the seeds match). Hover a KPI for its meaning.</p>")


def _fmt(m, h) -> str:
    if m is None:
        return "–"
    return f"{m:.4g}" + (f" ± {h:.2g}" if h is not None else "")
