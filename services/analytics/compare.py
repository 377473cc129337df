"""Replications and comparisons: means with 95 % confidence intervals, paired differences.

A run directory is either one run (``manifest.json``) or a set of replications
(``replications.json`` listing ``rep-NN`` runs with seeds ``seed, seed+1, …``). Two sets run with
the same seeds use **common random numbers**: replication *k* of both scenarios saw the same
random streams, so :func:`compare` pairs them and reports the mean difference with a paired
t-interval, much narrower than two independent intervals.

:func:`report_html` writes the comparison as a self-contained HTML page (plotly, inline — it opens
offline) with one panel per KPI: both means with their 95 % CIs.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from scipy import stats

from services.analytics.kpis import run_kpis

HEADLINE = ("reports_filed", "requests_received", "requests_closed", "sla_compliance", "resolution_h_median", "resolution_h_p90",
            "field_resolution_h_mean", "field_resolution_h_p90",
            "sla_breaches", "gave_up", "emergencies", "response_min_p50", "response_min_p90", "coverage_8min",
            "coverage_15min", "chat_conversations",
            "chat_containment_rate", "chat_handoff_rate", "satisfaction", "payments_anchored", "anchoring_lag_s",
            "little_L", "little_lambda_per_h", "little_W_h")


def run_dirs(path: str | Path) -> list[Path]:
    """The run directories behind ``path`` (a run or a replication set)."""
    p = Path(path)
    if (p / "replications.json").exists():
        return [p / r for r in json.loads((p / "replications.json").read_text())["runs"]]
    if (p / "manifest.json").exists():
        return [p]
    raise FileNotFoundError(f"{path}: neither a run (manifest.json) nor replications (replications.json)")


def kpis_of(path: str | Path) -> list[dict]:
    """Flat numeric KPIs of each replication (cached in ``analytics.json`` beside the log)."""
    out = []
    for d in run_dirs(path):
        cache = d / "analytics.json"
        log = d / "events.parquet"
        if cache.exists() and cache.stat().st_mtime >= log.stat().st_mtime:
            k = json.loads(cache.read_text())
        else:
            k = run_kpis(d)
            cache.write_text(json.dumps(k, default=str))
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
    ks = kpis_of(path)
    return {n: dict(zip(("mean", "ci95"), ci95([k.get(n) for k in ks]))) | {"n": len(ks)} for n in names}


def compare(path_a, path_b, names=HEADLINE) -> dict:
    """Each KPI of A and B (mean ± CI) and the difference B − A, paired when the seeds match."""
    ka, kb = kpis_of(path_a), kpis_of(path_b)
    paired = seeds_of(path_a) == seeds_of(path_b) and len(ka) == len(kb)
    rows = {}
    for n in names:
        a = [k.get(n) for k in ka]
        b = [k.get(n) for k in kb]
        ma, ha = ci95(a)
        mb, hb = ci95(b)
        if paired:
            d = [y - x for x, y in zip(a, b) if x is not None and y is not None]
            md, hd = ci95(d)
        else:
            md = None if ma is None or mb is None else mb - ma
            hd = None if ha is None or hb is None else math.sqrt(ha ** 2 + hb ** 2)
        rows[n] = {"a": ma, "a_ci95": ha, "b": mb, "b_ci95": hb, "diff": md, "diff_ci95": hd,
                   "significant": bool(md is not None and hd is not None and abs(md) > hd)}
    return {"a": str(path_a), "b": str(path_b), "replications": [len(ka), len(kb)], "paired": paired, "kpis": rows}


def report_html(result: dict, path: str | Path, title: str = "SmartCity Twin — scenario comparison") -> Path:
    """Write the comparison as a self-contained HTML page with plotly figures."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = [n for n, r in result["kpis"].items() if r["a"] is not None and r["b"] is not None]
    cols = 3
    rows_n = max(1, math.ceil(len(names) / cols))
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=names)
    for i, n in enumerate(names):
        r = result["kpis"][n]
        fig.add_trace(go.Bar(x=["A", "B"], y=[r["a"], r["b"]], marker_color=["#4c78a8", "#f58518"],
                             error_y={"type": "data", "array": [r["a_ci95"] or 0, r["b_ci95"] or 0]}, showlegend=False),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=260 * rows_n, title=f"{title}<br><sub>A = {result['a']}  ·  B = {result['b']}  ·  "
                                                 f"{'paired (common random numbers)' if result['paired'] else 'independent'}"
                                                 f"  ·  replications {result['replications']}</sub>")
    table = "".join(
        f"<tr><td>{n}</td><td>{_fmt(r['a'], r['a_ci95'])}</td><td>{_fmt(r['b'], r['b_ci95'])}</td>"
        f"<td>{_fmt(r['diff'], r['diff_ci95'])}{' *' if r['significant'] else ''}</td></tr>"
        for n, r in result["kpis"].items())
    html = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            + fig.to_html(full_html=False, include_plotlyjs=True)
            + "<table border=1 cellpadding=4><tr><th>KPI</th><th>A (mean ± 95% CI)</th><th>B</th>"
              "<th>B − A</th></tr>" + table + "</table><p>* the 95% interval of the difference excludes 0.</p>"
            + "<p>© OpenStreetMap contributors (road data of the cities simulated).</p></body></html>")
    out = Path(path)
    out.write_text(html, encoding="utf-8")
    return out


def _fmt(m, h) -> str:
    if m is None:
        return "–"
    return f"{m:.4g}" + (f" ± {h:.2g}" if h is not None else "")
