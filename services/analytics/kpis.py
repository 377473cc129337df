"""A run's KPIs from its event log, with DuckDB over the Parquet file.

:func:`run_kpis` returns a flat ``{name: value}`` dict (so that replications can be averaged and
compared name by name) plus tables by category and district:

* requests: received, closed, SLA compliance (share closed within SLA), resolution time median and
  p90 (h), by category and by district; field work (crews) alone: mean and p90; citizens who
  gave up waiting;
* emergencies: response time p50 and p90 (min), overall, by kind and by district; the share of
  the population within 8 and 15 minutes by road of an ambulance or fire station (``coverage``);
* timeline events (``event_started``): response times during each event's window;
* chatbot: conversations, containment and handoff rates, wrong actions;
* channel mix of reports by persona; satisfaction (mean feedback rating);
* payments: count, amount, mean anchoring lag (s); sensors: faults and alarms by device type;
* the adoption funnel of the digital services (:mod:`services.analytics.funnel`): users at the
  start and the end, awareness, the inclusion gap, new users and drop-outs, time to adoption,
  support contacts and waits, the funnel by persona, family and district, drop-out reasons;
* Little's law on the request system: L (time-average open requests), λ (arrivals per hour), W
  (mean time in the system, h, clipped to the window) and the ratio L / (λW).
"""
from __future__ import annotations

from pathlib import Path

import duckdb


def _q(con, sql: str):
    return con.execute(sql).fetchall()


def run_kpis(run_dir: str | Path) -> dict:
    """KPIs of one run directory (or an ``events.parquet`` path)."""
    p = Path(run_dir)
    path = p / "events.parquet" if p.is_dir() else p
    if not path.exists():
        raise FileNotFoundError(f"no event log at {path}")
    con = duckdb.connect()
    # one scan of the log: the movement events (most of it) are counted, the rest kept in memory
    con.execute(f"""CREATE TEMP TABLE ev AS SELECT * FROM read_parquet('{path.as_posix()}')
                    WHERE kind NOT IN ('trip_start', 'trip_end', 'bus_board', 'telemetry')""")
    out: dict = {}
    t_end = _q(con, f"SELECT max(t) FROM read_parquet('{path.as_posix()}')")[0][0] or 0.0
    out["sim_hours"] = round(t_end / 3600.0, 3)
    # ---- requests --------------------------------------------------------------------------
    r = _q(con, """
        SELECT count(*) FILTER (WHERE kind = 'request_received'),
               count(*) FILTER (WHERE kind = 'request_closed'),
               avg(CASE WHEN (payload->>'sla_met')::BOOLEAN THEN 1.0 ELSE 0.0 END) FILTER (WHERE kind = 'request_closed'),
               median((payload->>'resolution_h')::DOUBLE) FILTER (WHERE kind = 'request_closed'),
               quantile_cont((payload->>'resolution_h')::DOUBLE, 0.9) FILTER (WHERE kind = 'request_closed'),
               count(*) FILTER (WHERE kind = 'sla_breached'),
               count(*) FILTER (WHERE kind = 'citizen_gave_up')
        FROM ev WHERE topic LIKE '%/services/%'""")[0]
    out["reports_filed"] = _q(con, "SELECT count(*) FROM ev WHERE kind = 'report_filed'")[0][0]
    out.update(requests_received=r[0], requests_closed=r[1], sla_compliance=_round(r[2]), resolution_h_median=_round(r[3]),
               resolution_h_p90=_round(r[4]), sla_breaches=r[5], gave_up=r[6])
    from services.catalogue import DEPARTMENTS

    field = ", ".join(f"'{d.code}'" for d in DEPARTMENTS.values() if d.work == "field")
    fr = _q(con, f"""SELECT avg((payload->>'resolution_h')::DOUBLE), quantile_cont((payload->>'resolution_h')::DOUBLE, 0.9)
                    FROM ev WHERE kind = 'request_closed' AND payload->>'department' IN ({field})
                      AND NOT coalesce((payload->>'duplicate')::BOOLEAN, false)""")[0]
    out.update(field_resolution_h_mean=_round(fr[0]), field_resolution_h_p90=_round(fr[1]))
    out["by_category"] = {row[0]: {"closed": row[1], "sla_compliance": _round(row[2]), "median_h": _round(row[3]),
                                   "p90_h": _round(row[4])} for row in _q(con, """
        SELECT payload->>'service_code', count(*), avg(CASE WHEN (payload->>'sla_met')::BOOLEAN THEN 1.0 ELSE 0.0 END),
               median((payload->>'resolution_h')::DOUBLE), quantile_cont((payload->>'resolution_h')::DOUBLE, 0.9)
        FROM ev WHERE kind = 'request_closed' GROUP BY 1 ORDER BY 1""")}
    out["by_district"] = {row[0]: {"closed": row[1], "sla_compliance": _round(row[2]), "median_h": _round(row[3])}
                          for row in _q(con, """
        SELECT coalesce(payload->>'district', '?'), count(*),
               avg(CASE WHEN (payload->>'sla_met')::BOOLEAN THEN 1.0 ELSE 0.0 END), median((payload->>'resolution_h')::DOUBLE)
        FROM ev WHERE kind = 'request_closed' GROUP BY 1 ORDER BY 1""")}
    # ---- emergencies -----------------------------------------------------------------------
    e = _q(con, """SELECT count(*), quantile_cont((payload->>'response_s')::DOUBLE, 0.5) / 60,
                          quantile_cont((payload->>'response_s')::DOUBLE, 0.9) / 60
                   FROM ev WHERE kind = 'on_scene'""")[0]
    out.update(emergencies=e[0], response_min_p50=_round(e[1]), response_min_p90=_round(e[2]))
    cov = _q(con, """SELECT (payload->>'either_within_8min')::DOUBLE, (payload->>'either_within_15min')::DOUBLE,
                            (payload->>'ambulance_within_8min')::DOUBLE, (payload->>'fire_engine_within_8min')::DOUBLE
                     FROM ev WHERE kind = 'coverage' LIMIT 1""")
    c8, c15, a8, f8 = cov[0] if cov else (None,) * 4
    out.update(coverage_8min=_round(c8), coverage_15min=_round(c15), coverage_ambulance_8min=_round(a8),
               coverage_fire_8min=_round(f8))
    out["response_by_district"] = {row[0]: {"n": row[1], "p50_min": _round(row[2]), "p90_min": _round(row[3])}
                                   for row in _q(con, """
        SELECT coalesce(payload->>'district', '?'), count(*), quantile_cont((payload->>'response_s')::DOUBLE, 0.5) / 60,
               quantile_cont((payload->>'response_s')::DOUBLE, 0.9) / 60
        FROM ev WHERE kind = 'on_scene' GROUP BY 1 ORDER BY 1""")}
    out["timeline"] = [{"event": row[0], "from_h": _round(row[1] / 3600), "to_h": _round(row[2] / 3600),
                        "emergencies": row[3], "response_min_p50": _round(row[4]), "response_min_p90": _round(row[5])}
                       for row in _q(con, """
        WITH w AS (SELECT s.entity, s.payload->>'event' AS event, s.t AS t0,
                          coalesce((SELECT min(e.t) FROM ev e WHERE e.kind = 'event_ended' AND e.entity = s.entity),
                                   (SELECT max(t) FROM ev)) AS t1
                   FROM ev s WHERE s.kind = 'event_started')
        SELECT w.event, w.t0, w.t1, count(o.t), quantile_cont((o.payload->>'response_s')::DOUBLE, 0.5) / 60,
               quantile_cont((o.payload->>'response_s')::DOUBLE, 0.9) / 60
        FROM w LEFT JOIN ev o ON o.kind = 'on_scene' AND o.t >= w.t0 AND o.t <= w.t1
        GROUP BY w.entity, w.event, w.t0, w.t1 ORDER BY w.t0""")]
    # ---- chatbot, channels, satisfaction ---------------------------------------------------------
    c = _q(con, """SELECT count(*), avg(CASE WHEN (payload->>'handoff')::BOOLEAN THEN 1.0 ELSE 0.0 END),
                          sum(CASE WHEN (payload->>'wrong_action')::BOOLEAN THEN 1 ELSE 0 END)
                   FROM ev WHERE kind = 'chat_conversation'""")[0]
    out.update(chat_conversations=c[0], chat_handoff_rate=_round(c[1]),
               chat_containment_rate=_round(1 - c[1]) if c[1] is not None else None, chat_wrong_actions=c[2] or 0)
    mix: dict = {}
    for persona, channel, n in _q(con, """SELECT payload->>'persona', payload->>'channel', count(*) FROM ev
                                           WHERE kind = 'report_filed' GROUP BY 1, 2 ORDER BY 1, 2"""):
        mix.setdefault(persona, {})[channel] = n
    out["channel_mix_by_persona"] = mix
    out["satisfaction"] = _round(_q(con, "SELECT avg((payload->>'rating')::DOUBLE) FROM ev WHERE kind = 'feedback'")[0][0])
    # ---- payments and sensors ------------------------------------------------------------------
    start = _start_unix(p if p.is_dir() else p.parent)
    pay = _q(con, f"""SELECT count(*), sum((payload->>'amount_bani')::BIGINT),
                             avg(t + {start} - (payload->>'paid_at')::DOUBLE)
                      FROM ev WHERE kind = 'payment_receipt'""")[0]
    out.update(payments_anchored=pay[0], payments_ron=_round((pay[1] or 0) / 100), anchoring_lag_s=_round(pay[2]))
    out["sensor_alerts"] = {row[0]: row[1] for row in _q(con, """
        SELECT coalesce(payload->>'status', 'alarm') || ':' || coalesce(payload->>'device_type', '?'), count(*)
        FROM ev WHERE kind = 'device_state' AND (payload->>'status' <> 'ok' OR payload->>'alarm' IS NOT NULL)
        GROUP BY 1 ORDER BY 1""")}
    out.update(littles_law(con, t_end))
    from services.analytics.funnel import funnel_kpis

    out.update(funnel_kpis(con))
    return out


def littles_law(con, t_end: float) -> dict:
    """L, λ and W of the request system over ``[0, t_end]`` (see the module docstring)."""
    rows = _q(con, """
        WITH a AS (SELECT ref, min(t) AS t0 FROM ev WHERE kind = 'request_received' GROUP BY ref),
             b AS (SELECT ref, min(t) AS t1 FROM ev WHERE kind = 'request_closed' GROUP BY ref)
        SELECT a.t0, coalesce(b.t1, NULL) FROM a LEFT JOIN b USING (ref)""")
    if not rows or t_end <= 0:
        return {"little_L": None, "little_lambda_per_h": None, "little_W_h": None, "little_ratio": None}
    T = t_end
    inside = [min(t1 if t1 is not None else T, T) - t0 for t0, t1 in rows]
    area = sum(inside)                                  # ∫ N(t) dt over the window
    L = area / T
    lam = len(rows) / T
    W = area / len(rows)
    # L = λ W holds by construction over a window; the check is that the log's arrivals, closures
    # and the time-average of open requests (from the hourly counters) agree
    counters = _q(con, "SELECT avg((payload->>'open')::DOUBLE) FROM ev WHERE kind = 'counters'")[0][0]
    return {"little_L": _round(L), "little_lambda_per_h": _round(lam * 3600), "little_W_h": _round(W / 3600),
            "little_L_counters": _round(counters), "little_ratio": _round(counters / (lam * W)) if counters else None}


def _start_unix(run_dir: Path) -> float:
    import json
    from datetime import datetime
    from zoneinfo import ZoneInfo

    m = run_dir / "manifest.json"
    if not m.exists():
        return 0.0
    start = json.loads(m.read_text())["scenario"]["start"]
    return datetime.fromisoformat(start).replace(tzinfo=ZoneInfo("Europe/Bucharest")).timestamp()


def _round(x, nd: int = 4):
    return None if x is None else round(float(x), nd)
