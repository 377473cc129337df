"""Is a comparison of two runs one intervention, or several changes confounded?

A comparison B − A means "the effect of the intervention" only when A and B differ in nothing
else. This module reads the manifests of two runs (or replication sets), flattens their
scenarios to dotted keys (``responders.extra_stations``, ``incidents.medical_per_1000_per_day``),
and sorts every difference into

``intervention``
    a field the scenarios declare they change (``changes:`` of A or B, e.g.
    ``responders.extra_stations`` for ``new_ambulance_station``);
``allowed``
    a field the caller said may differ (``twin compare --allow-different population``);
``confounded``
    anything else: the city (its content hash, not the path it was read from), the number of
    citizens, hours, start, tick, study settings, any other parameter — and the seeds, when both
    sides have as many replications (they were meant to be paired and are not).

Fields that only describe a scenario (name, description, question, …, see
:data:`scenarios.schema.DOC_FIELDS`) and connection details (URLs, keys) are never compared.
Old manifests that lack a field are read with the schema's default for it.

>>> g = check("runs/base", "runs/station")          # doctest: +SKIP
>>> g["confounded"]                                  # doctest: +SKIP
['incidents.medical_per_1000_per_day']
"""
from __future__ import annotations

import json
from pathlib import Path

from scenarios.schema import DOC_FIELDS, Scenario
from twin.errors import TwinError

#: connection details and secrets: where a run sent things, never what the city did
_ENVIRONMENT = ("services.url", "services.api_key", "services.staff_key", "services.db_url", "ledger.chain_url",
                "ledger.private_key")


def run_dirs(path: str | Path) -> list[Path]:
    """The run directories behind ``path``: a run (``manifest.json``) or a replication set
    (``replications.json``); :class:`TwinError` naming the path otherwise."""
    p = Path(path)
    if (p / "replications.json").exists():
        return [p / r for r in json.loads((p / "replications.json").read_text())["runs"]]
    if (p / "manifest.json").exists():
        return [p]
    raise TwinError(f"{path}: neither a run (manifest.json) nor replications (replications.json)")


def flatten(data, prefix: str = "") -> dict:
    """Nested mappings as ``{"dotted.key": leaf}``; lists and scalars are leaves."""
    out: dict = {}
    if isinstance(data, dict) and data:
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = data
    return out


def setting_of(manifest: dict) -> dict:
    """What a run *was*, flattened: its scenario with defaults filled in, the city as its content
    hash, and ``population`` as the number of citizens actually simulated (whether the scenario
    gave ``population`` or ``scale``). Seeds and descriptive fields are left out."""
    defaults = json.loads(Scenario().model_dump_json())
    scenario = {**defaults, **manifest.get("scenario", {})}
    flat = flatten({k: v for k, v in scenario.items() if k not in DOC_FIELDS + ("seed", "city", "population", "scale")})
    for k in list(flat):
        if k in _ENVIRONMENT or any(k.startswith(e + ".") for e in _ENVIRONMENT):
            del flat[k]
    city = manifest.get("city") or {}
    flat["city"] = city.get("content_hash") or scenario.get("city")
    flat["population"] = manifest.get("population", scenario.get("population"))
    return flat


def _manifests(path) -> list[dict]:
    return [json.loads((d / "manifest.json").read_text(encoding="utf-8")) for d in run_dirs(path)]


def _covered(key: str, prefixes) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def check(path_a, path_b, allow=()) -> dict:
    """Compare the settings of two runs or replication sets (see the module docstring).

    Parameters
    ----------
    path_a, path_b : str or Path
        Run directories or replication folders.
    allow : iterable of str
        Dotted parameters (or prefixes: ``incidents`` covers ``incidents.medical_per_1000_per_day``)
        that may differ; ``seed``, ``city`` and ``population`` name the setting itself.

    Returns
    -------
    dict
        ``diff``: ``{param: {"a", "b", "role"}}`` with role ``intervention``, ``allowed`` or
        ``confounded``; ``confounded``: the confounded params (empty when the comparison is
        clean); ``declared``: the fields the scenarios declare they change; ``paired``: the same
        seeds on both sides; ``seeds``: ``[seeds of A, seeds of B]``; ``scenarios``: their names.

    Raises
    ------
    TwinError
        A path that is not a run, or an ``allow`` entry that matches no difference (a typo would
        otherwise silently allow nothing).
    """
    ma, mb = _manifests(path_a), _manifests(path_b)
    sa, sb = setting_of(ma[0]), setting_of(mb[0])
    declared = sorted({c for m in (ma[0], mb[0]) for c in (m.get("scenario", {}).get("changes") or [])})
    allow = [a.strip() for a in allow or () if a.strip()]
    seeds = [[m.get("seed") for m in ma], [m.get("seed") for m in mb]]
    paired = seeds[0] == seeds[1]
    diff: dict = {}
    for key in sorted(set(sa) | set(sb)):
        a, b = sa.get(key), sb.get(key)
        if a in ({}, []) and key not in sb or b in ({}, []) and key not in sa:
            continue                    # an empty section on one side: its fields carry the difference
        if a != b:
            role = ("intervention" if _covered(key, declared) else "allowed" if _covered(key, allow)
                    else "confounded")
            diff[key] = {"a": a, "b": b, "role": role}
    if not paired and len(seeds[0]) == len(seeds[1]):
        diff["seed"] = {"a": seeds[0], "b": seeds[1], "role": "allowed" if "seed" in allow else "confounded"}
    unused = [a for a in allow if not any(_covered(k, [a]) for k in diff)]
    if unused:
        raise TwinError(f"--allow-different {' '.join(unused)}: A and B do not differ there "
                        f"(they differ in: {', '.join(diff) or 'nothing'})")
    return {"diff": diff, "confounded": [k for k, v in diff.items() if v["role"] == "confounded"],
            "declared": declared, "paired": paired, "seeds": seeds,
            "scenarios": [ma[0].get("scenario", {}).get("name"), mb[0].get("scenario", {}).get("name")]}


def show(value, width: int = 60) -> str:
    """A value as a short line: JSON, with long lists of records shortened to ``[{…}, {…}]``."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= width:
        return text
    if isinstance(value, list):
        return "[" + ", ".join("{…}" if isinstance(v, dict) else "[…]" if isinstance(v, list) else
                               json.dumps(v, ensure_ascii=False, default=str) for v in value) + "]"
    return text[:width - 1] + "…"


def diff_lines(guard: dict) -> list[str]:
    """The parameter diff as ``param: a → b  (role)`` lines, for the CLI."""
    return [f"{k}: {show(v['a'])} → {show(v['b'])}  ({v['role']})" for k, v in guard["diff"].items()]


def message(guard: dict) -> str:
    """The error a confounded comparison gets: what differs, why it matters, what to do."""
    items = "; ".join(f"{k}: {show(guard['diff'][k]['a'], 30)} → {show(guard['diff'][k]['b'], 30)}"
                      for k in guard["confounded"])
    declared = ", ".join(guard["declared"]) or "nothing"
    return (f"A and B differ in more than their declared intervention ({declared}): {items}. "
            f"B − A would mix these with the intervention's effect. Run both sides with the same settings "
            f"(twin study SCENARIO does), or name what may differ: --allow-different "
            f"{' '.join(guard['confounded'])}")
