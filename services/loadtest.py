"""The Python entry point of the Open311 load test kept from before Locust: :func:`run_loadtest`.

It now runs :mod:`services.loadgen` (Locust's runner in a process of its own, an open-loop
schedule, HDR histograms from the scheduled send time): the same options and the same summary
fields as before (``offered_rate``, ``achieved_rate``, ``ok_rate``, ``sent``, ``not_sent``,
``completed``, ``ok``, ``errors``, ``operations`` with ``n``/``p50_ms``/``p95_ms``/``p99_ms``/
``max_ms``/``status``), plus the new ones of :mod:`services.loadgen.report`. Arrival *k* is due at
``k / rate``; each is ``POST requests`` with probability ``post_share``, otherwise ``GET
requests`` or ``GET requests/{id}``; at most ``max_in_flight`` are in flight.
"""
from __future__ import annotations


def run_loadtest(url: str, *, rate: float, duration_s: float = 10.0, api_key: str | None = None,
                 city: str = "demo", post_share: float = 0.5, seed: int = 0, max_in_flight: int = 256,
                 timeout_s: float = 10.0, workers: int = 0) -> dict:
    """Run the load test (see the module docstring) and return its summary.

    Raises ``ValueError`` for bad input and ``ConnectionError`` when ``url`` cannot be reached.
    """
    from services.loadgen.runner import prepare, run

    if not rate > 0:
        raise ValueError(f"rate must be > 0 requests/s, got {rate}")
    if not 0 <= post_share <= 1:
        raise ValueError(f"post_share must be in [0, 1], got {post_share}")
    cfg, _ = prepare(url, api_key=api_key, rate=rate, duration_s=duration_s, post_share=post_share, city=city,
                     seed=seed, timeout_s=timeout_s, max_in_flight=max(1, max_in_flight))
    return run(cfg, workers=workers)
