"""Demand forecast: service requests by category for the next days, with its error measured.

The series are daily counts of ``request_received`` by ``service_code`` from a run's log (days
counted from the run's start). The model is deliberately simple and says so:

* **level** — a category's expected daily count is an exponentially weighted mean of its past
  days (``alpha``), shrunk towards the category's share of the city-wide level (few reports per
  category per day are mostly noise; pooling borrows strength from the total);
* **weekday** — with at least two weeks of history, a multiplicative day-of-week factor of the
  total (weekends differ), shrunk towards 1 as if two more weeks had shown none; otherwise none;
* **interval** — a 90 % prediction interval from the Poisson quantiles of the forecast mean.

:func:`backtest` holds out the last ``horizon`` days, forecasts them from the rest, and reports
the mean absolute error (MAE) per category and overall, the MASE (MAE divided by the MAE of the
naive "same as the last day" forecast on the same days: < 1 beats it), and how often the 90 %
interval held the real count.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
from scipy import stats


def daily_counts(run_dir: str | Path, warmup_days: int = 1) -> tuple[list[str], np.ndarray, int]:
    """``(categories, counts[day, category], first_weekday)`` of a run's requests: complete days
    only, without the first ``warmup_days`` (problems start undiscovered: day 0 is low)."""
    import json
    from datetime import datetime

    run = Path(run_dir)
    log = run / "events.parquet"
    con = duckdb.connect()
    m = run / "manifest.json"
    scenario = json.loads(m.read_text())["scenario"] if m.exists() else None
    if scenario is not None:
        hours = float(scenario["hours"])
    else:
        hours = (con.execute(f"SELECT max(t) FROM read_parquet('{log.as_posix()}')").fetchone()[0] or 0.0) / 3600
    n_days = int(hours // 24)
    rows = con.execute(f"""SELECT payload->>'service_code', floor(t / 86400)::INT, count(*)
                          FROM read_parquet('{log.as_posix()}') WHERE kind = 'request_received'
                          GROUP BY 1, 2""").fetchall()
    cats = sorted({r[0] for r in rows if r[0]})
    counts = np.zeros((n_days, len(cats)), np.int64)
    for code, day, n in rows:
        if code and day < n_days:
            counts[day, cats.index(code)] = n
    weekday = datetime.fromisoformat(scenario["start"]).weekday() if scenario is not None else 0
    return cats, counts[warmup_days:], (weekday + warmup_days) % 7


def fit_predict(history: np.ndarray, horizon: int, first_weekday: int = 0, alpha: float = 0.3,
                shrink: float = 3.0) -> np.ndarray:
    """Forecast means ``[horizon, category]`` from ``history[day, category]`` (see the module
    docstring); ``shrink`` is the weight, in days, of the pooled share against a category's own."""
    h = np.asarray(history, np.float64)
    days, k = h.shape
    if days == 0:
        raise ValueError("history: no complete day to learn from")
    w = (1 - alpha) ** np.arange(days)[::-1]
    w /= w.sum()
    level = w @ h                                     # EWMA per category
    total = level.sum()
    share = h.sum(0) / max(h.sum(), 1.0)
    pooled = (days * level + shrink * share * total) / (days + shrink)
    factor = np.ones(7)
    if days >= 14:
        dow = (first_weekday + np.arange(days)) % 7
        tot = h.sum(1)
        mean = tot.mean() or 1.0
        raw = np.array([tot[dow == d].mean() / mean if (dow == d).any() else 1.0 for d in range(7)])
        weeks = days / 7.0
        factor = (weeks * raw + 2.0) / (weeks + 2.0)    # shrunk towards 1: two weeks are few
    future_dow = (first_weekday + days + np.arange(horizon)) % 7
    return np.outer(factor[future_dow], pooled)


def interval90(mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """5 % and 95 % Poisson quantiles of forecast means."""
    return stats.poisson.ppf(0.05, mean), stats.poisson.ppf(0.95, mean)


def backtest(run_dir: str | Path, horizon: int = 2, **model) -> dict:
    """Forecast the last ``horizon`` days from the earlier ones and score it (module docstring)."""
    cats, counts, wd = daily_counts(run_dir)
    if len(counts) <= horizon:
        raise ValueError(f"horizon: {horizon} days leaves no history in a run of {len(counts)} complete days")
    train, test = counts[:-horizon], counts[-horizon:]
    pred = fit_predict(train, horizon, wd, **model)
    naive = np.repeat(train[-1:], horizon, axis=0)
    lo, hi = interval90(pred)
    mae = np.abs(pred - test).mean(0)
    mae_naive = np.abs(naive - test).mean(0)
    total_mae = float(np.abs(pred.sum(1) - test.sum(1)).mean())
    return {"history_days": int(len(train)), "horizon_days": horizon,
            "mae": round(float(np.abs(pred - test).mean()), 3),
            "mae_naive": round(float(np.abs(naive - test).mean()), 3),
            "mase": round(float(np.abs(pred - test).mean() / max(np.abs(naive - test).mean(), 1e-9)), 3),
            "total_mae": round(total_mae, 2), "total_actual_per_day": round(float(test.sum(1).mean()), 2),
            "interval90_coverage": round(float(((test >= lo) & (test <= hi)).mean()), 3),
            "by_category": {c: {"actual": test[:, j].tolist(), "forecast": np.round(pred[:, j], 2).tolist(),
                                "mae": round(float(mae[j]), 3), "mae_naive": round(float(mae_naive[j]), 3)}
                            for j, c in enumerate(cats)}}


def forecast(run_dir: str | Path, days: int = 3, warmup_days: int = 1, **model) -> dict:
    """The next ``days`` days after the run, per category: mean and 90 % interval (``day``
    counts from the run's first day, 0)."""
    cats, counts, wd = daily_counts(run_dir, warmup_days)
    pred = fit_predict(counts, days, wd, **model)
    lo, hi = interval90(pred)
    return {c: [{"day": warmup_days + len(counts) + i, "mean": round(float(pred[i, j]), 2), "lo90": int(lo[i, j]),
                 "hi90": int(hi[i, j])} for i in range(days)] for j, c in enumerate(cats)}
