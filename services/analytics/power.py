"""Statistical power of a comparison: what it could have seen, and how many replications it needs.

A difference that is "not significant" means little unless one knows how large a difference the
study could have detected. With *n* replications, a two-sided test at level α detects a true
difference δ with probability ``power`` (default 80 %) when

    δ ≥ (t₁₋α/₂ + t_power) · SE,        SE = s_d / √n  (paired, common random numbers)
                                        SE = √(s_a²/n_a + s_b²/n_b)  (independent, Welch df)

That δ is the **minimum detectable difference** (:func:`mdd`), in the KPI's own unit. Turned
around, :func:`replications_needed` finds the smallest *n* whose MDD is at most a target effect,
taking the spread (s_d, or s_a and s_b) from the replications already run as a pilot.

>>> round(mdd([10, 11, 12, 13], [9, 10, 10, 12], paired=True), 2)
1.04
>>> replications_needed([10, 11, 12, 13], [9, 10, 10, 12], paired=True, effect=1.0)
5
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats


def _clean(values) -> np.ndarray:
    return np.asarray([x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))], float)


def _spread(a, b, paired: bool):
    """(kind, numbers) describing the variability: paired → s_d of the differences; else (s_a, s_b)."""
    if paired:
        d = _clean([None if x is None or y is None else y - x for x, y in zip(a, b)])
        return ("paired", (float(d.std(ddof=1)),)) if len(d) >= 2 else None
    va, vb = _clean(a), _clean(b)
    if len(va) < 2 or len(vb) < 2:
        return None
    return "independent", (float(va.std(ddof=1)), float(vb.std(ddof=1)))


def _mdd_at(kind: str, s, n_a: int, n_b: int, alpha: float, power: float) -> float:
    if kind == "paired":
        df, se = n_a - 1, s[0] / math.sqrt(n_a)
    else:
        va, vb = s[0] ** 2 / n_a, s[1] ** 2 / n_b
        se = math.sqrt(va + vb)
        den = (va ** 2 / (n_a - 1) if va else 0.0) + (vb ** 2 / (n_b - 1) if vb else 0.0)
        df = (va + vb) ** 2 / den if den else n_a + n_b - 2
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * se)


def mdd(a, b, paired: bool, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Minimum detectable difference of B − A at the replications given (see the module docstring).

    Parameters
    ----------
    a, b : sequences of float (None for a missing value)
        The KPI in each replication of A and of B (in replication order when ``paired``).
    paired : bool
        Common random numbers: replication *k* of A and of B share their seeds.
    alpha, power : float
        Test level (two-sided) and the probability of detecting a difference of that size.

    Returns
    -------
    float or None
        In the KPI's unit; None when fewer than two usable replications (pairs) exist.
    """
    spread = _spread(a, b, paired)
    if spread is None:
        return None
    kind, s = spread
    n_a = len(_clean([None if x is None or y is None else y - x for x, y in zip(a, b)])) if paired else len(_clean(a))
    n_b = n_a if paired else len(_clean(b))
    return _mdd_at(kind, s, n_a, n_b, alpha, power)


def replications_needed(a, b, paired: bool, effect: float, alpha: float = 0.05, power: float = 0.8,
                        max_n: int = 1000) -> int | None:
    """The smallest number of replications (per side) whose MDD is at most ``|effect|``.

    The spread is estimated from ``a`` and ``b`` (a pilot study). Returns 2 when the pilot shows
    no spread at all, None when the pilot has fewer than two usable replications, and ``max_n``
    when even that many would not do.

    Raises
    ------
    ValueError
        ``effect`` is 0 (no number of replications detects a zero difference).
    """
    if not effect:
        raise ValueError("target effect: must be non-zero, got 0")
    spread = _spread(a, b, paired)
    if spread is None:
        return None
    kind, s = spread
    if max(s) == 0:
        return 2
    for n in range(2, max_n + 1):
        if _mdd_at(kind, s, n, n, alpha, power) <= abs(effect):
            return n
    return max_n
