"""The KPI catalogue: every KPI a run produces has a label, a unit, a meaning and a direction,
and its interval respects what the KPI is (counts and positive quantities never below 0,
proportions inside [0, 1]); the comparison carries the labels and intervals."""
from __future__ import annotations

import numpy as np
import pytest

from scenarios import load_scenario
from services.analytics import kpi_catalogue as cat
from services.analytics.compare import compare
from services.analytics.kpis import run_kpis
from twin_app.run import run_replications


@pytest.fixture(scope="module")
def busy_set(tmp_path_factory, demo_city):
    """Two replications of a demo-town heatwave day with much to measure (requests closed,
    emergencies, a timeline event, chats, sensors)."""
    root = tmp_path_factory.mktemp("cat")
    sc = load_scenario("heatwave", population=1000, hours=20, replications=2,
                       demand={"report_multiplier": 80.0}, incidents={"medical_per_1000_per_day": 5.0})
    run_replications(sc, root / "a", city=demo_city)
    return root / "a"


def test_every_kpi_a_run_produces_has_a_catalogue_entry(busy_set):
    k = run_kpis(busy_set / "rep-00")
    leaves = cat.walk(k)
    # the run exercised the nested tables too, so the walk covers them
    prefixes = {p.split(".")[0] for p, _ in leaves}
    assert {"by_category", "by_district", "response_by_district", "timeline", "sensor_alerts"} <= prefixes, prefixes
    missing = []
    for path, _ in leaves:
        try:
            e = cat.entry(path)
        except KeyError:
            missing.append(path)
            continue
        assert e.label and e.unit and e.meaning.endswith(".") and e.better in cat.BETTER, e
    assert missing == []


def test_unknown_kpi_is_a_clear_error():
    with pytest.raises(KeyError, match="'no_such_kpi'"):
        cat.entry("no_such_kpi")
    assert cat.label_unit("little_L") == "Open requests on average (requests)"


@pytest.mark.parametrize("values", [[0, 0, 1], [0, 3, 0, 0], [1], [0], [2, 40, 0], [5, 6, 7]])
def test_a_count_interval_never_goes_below_zero(values):
    iv = cat.interval("emergencies", values)
    assert iv.lo is not None and 0 <= iv.lo <= iv.mean <= iv.hi
    # a plain t-interval would have gone below zero on the sparse ones
    if values == [0, 0, 1]:
        assert np.mean(values) - 4.3 * np.std(values, ddof=1) / np.sqrt(3) < 0


@pytest.mark.parametrize("values", [[0.99, 1.0, 0.9], [0.0, 0.02, 0.1], [1.0, 1.0], [0.5, 0.1, 0.95]])
def test_a_proportion_interval_stays_in_0_1(values):
    iv = cat.interval("sla_compliance", values)
    assert 0 <= iv.lo <= iv.mean <= iv.hi <= 1


def test_a_positive_quantity_interval_stays_above_zero_and_is_not_blown_up():
    iv = cat.interval("response_min_p90", [0.5, 12.0, 1.0])
    assert 0 == iv.lo < iv.mean < iv.hi
    # the t half-width above the mean, not a log-scale bound tens of times the mean
    assert iv.hi - iv.mean == pytest.approx(4.303 * np.std([0.5, 12.0, 1.0], ddof=1) / np.sqrt(3), rel=1e-3)
    assert cat.interval("response_min_p90", [4.0, 5.0, 6.0]).lo > 0


def test_differences_may_be_negative_and_paired_intervals_are_narrower():
    a = [10.0, 12.0, 14.0, 11.0]
    b = [9.0, 11.2, 13.1, 10.1]
    paired = cat.interval("response_min_p50", a, b, paired=True)
    indep = cat.interval("response_min_p50", a, b)
    assert paired.hi < 0 and paired.excludes_zero()
    assert not indep.excludes_zero() and (paired.hi - paired.lo) < (indep.hi - indep.lo)


def test_the_comparison_uses_catalogue_labels_units_and_intervals(busy_set):
    r = compare(busy_set, busy_set)
    for name, row in r["kpis"].items():
        e = cat.entry(name)
        assert row["label"] == e.label and row["unit"] == e.unit and row["better"] == e.better
        for side in ("a", "b"):
            lo, hi = row[f"{side}_interval"]
            if lo is None:
                continue
            if e.kind in ("count", "positive"):
                assert lo >= 0, (name, side, lo)
            if e.kind == "proportion":
                assert 0 <= lo <= hi <= 1, (name, side, lo, hi)
    assert r["kpis"]["emergencies"]["a"] > 0 and r["kpis"]["requests_closed"]["a"] > 0
    # the same runs on both sides: no difference anywhere, and no district is called significant
    assert not any(row["significant"] for row in r["kpis"].values()) and r["significant_districts"] == []
    for dist, rows in r["by_district"].items():
        for name, row in rows.items():
            assert cat.entry(name).label == row["label"]
            if cat.entry(name).kind == "count" and row["a_interval"][0] is not None:
                assert row["a_interval"][0] >= 0, (dist, name, row)


def test_by_district_rows_and_significant_districts_from_replications():
    from services.analytics.compare import compare_by_district, significant_districts

    def k(p90_far, p90_centre, closed):
        return {"response_by_district": {"Far": {"n": 4, "p50_min": p90_far / 2, "p90_min": p90_far},
                                         "Centre": {"n": 9, "p50_min": 3.0, "p90_min": p90_centre}},
                "by_district": {"Far": {"closed": closed, "sla_compliance": 0.9, "median_h": 5.0}}}

    ka = [k(20.0, 6.0, 3), k(22.0, 6.5, 0), k(21.0, 5.5, 1)]
    kb = [k(9.0, 6.1, 2), k(10.5, 6.4, 1), k(9.8, 5.6, 0)]       # a station in Far: −11 min at p90
    by = compare_by_district(ka, kb, paired=True)
    far = by["Far"]["response_min_p90"]
    assert far["label"] == "Emergency response time, 90th percentile" and far["unit"] == "min"
    assert far["diff"] == pytest.approx(-11.23, abs=0.01) and far["significant"] and far["diff_interval"][1] < 0
    assert by["Far"]["requests_closed"]["a_interval"][0] >= 0           # a count's interval, never below 0
    sig = significant_districts(by)
    assert {(x["district"], x["kpi"]) for x in sig} == {("Far", "response_min_p90"), ("Far", "response_min_p50")}
    assert sig[0]["better_or_worse"] == "better"
    assert not by["Centre"]["response_min_p90"]["significant"]


def test_html_report_shows_labels_district_map_and_cdfs_offline(busy_set, tmp_path):
    import re

    from services.analytics.compare import report_html
    from services.analytics.plausibility import plausibility

    r = compare(busy_set, busy_set)
    assert r["distributions"]["response_min"]["a"]["n"] > 0 and r["distributions"]["resolution_h"]["edges"]
    page = report_html(r, tmp_path / "r.html", plausibility=plausibility(busy_set / "rep-00")).read_text()
    assert "Emergency response time, 90th percentile" in page and "little_L<" not in page
    for section in ("District map", "Response-time distribution", "Resolution-time distribution",
                    "Plausibility of the baseline", "Where the change is significant"):
        assert f"<h2>{section}" in page, section
    # plotly.js inlined once; no script loaded from the network
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page, re.I)
    assert page.count("plotly.js v") <= 2 and "OpenStreetMap" in page


def test_twin_run_replications_prints_labels_and_units(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "twin_app", "run", "baseline", "--city", "demo", "--population", "300",
                          "--hours", "2", "--replications", "2", "--out", str(tmp_path / "r"), "--no-progress"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Population within 8 min of a station (share)" in out.stdout and "coverage_8min" not in out.stdout


def test_html_report_adds_the_baselines_plausibility_by_default(busy_set, tmp_path):
    from services.analytics.compare import report_html

    r = compare(busy_set, busy_set)
    assert "Plausibility of the baseline" in report_html(r, tmp_path / "a.html").read_text()
    assert "Plausibility of the baseline" not in report_html(r, tmp_path / "b.html", plausibility=None).read_text()
