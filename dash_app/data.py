"""What the control room reads from finished runs: the run list, requests, ledger, telemetry.

A run directory (written by :func:`twin_app.run.run_scenario`) holds ``manifest.json``,
``events.parquet``, ``kpis.json`` and the stores the run used: ``services.sqlite`` (the Open311
requests and their status history) and ``ledger.sqlite`` (payments, batches). Everything here
reads; nothing writes. Personal data never reaches the control room: requests carry pseudonyms
and the contacts table is not read.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

OSM_CREDIT = "© OpenStreetMap contributors"
TZ = ZoneInfo("Europe/Bucharest")
TZ_LABEL = "Brașov time"          # what every time shown in the control room is, said next to it


def local(t: datetime | None) -> str | None:
    """A stored time (naive UTC, as the services and ledger stores keep them) as Brașov local
    time, ``"2026-03-02 08:15 EET"`` (EEST in summer), so no page ever shows UTC unlabelled.

    Parameters
    ----------
    t : datetime or None
        Naive (taken as UTC) or timezone-aware.

    Returns
    -------
    str or None
        ``None`` for ``None``.
    """
    if t is None:
        return None
    aware = t if t.tzinfo is not None else t.replace(tzinfo=UTC)
    return aware.astimezone(TZ).strftime("%Y-%m-%d %H:%M %Z")


def list_runs(root: str | Path) -> list[dict]:
    """Finished runs and replication sets under ``root``, newest first; a study folder
    (``compare.json``, written by ``twin study`` or the lab) contributes its two sides, named
    ``<study>/<side>``."""
    root = Path(root)
    out = []
    if not root.is_dir():
        return out
    for d in sorted(root.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
        if (d / "compare.json").exists() and not (d / "manifest.json").exists():
            for side in sorted(x for x in d.iterdir() if (x / "replications.json").exists() or (x / "manifest.json").exists()):
                out.extend(_run_entry(side, f"{d.name}/{side.name}"))
        else:
            out.extend(_run_entry(d, d.name))
    return out


def _run_entry(d: Path, name: str) -> list[dict]:
    if (d / "replications.json").exists():
        meta = json.loads((d / "replications.json").read_text())
        first = d / meta["runs"][0] / "manifest.json"
        m = json.loads(first.read_text()) if first.exists() else {}
        return [{"path": str(d), "name": name, "scenario": meta["scenario"], "replications": len(meta["runs"]),
                 "city": m.get("city", {}).get("name", "?"), "status": "complete"}]
    if (d / "manifest.json").exists():
        m = json.loads((d / "manifest.json").read_text())
        return [{"path": str(d), "name": name, "scenario": m["scenario"]["name"], "replications": 1,
                 "city": m["city"]["name"], "status": m.get("status", "?")}]
    return []


def run_options(root: str | Path, need: str | None = None) -> list[dict]:
    """Dropdown options of the finished runs under ``root`` (those whose first run holds the file
    ``need``, when given), newest first."""
    return [{"label": f"{r['name']} ({r['city']}, {r['replications']} rep.)", "value": r["path"]}
            for r in list_runs(root) if r["status"] == "complete"
            and (need is None or (first_run(r["path"]) / need).exists())]


def first_run(path: str | Path) -> Path:
    """The run directory behind ``path`` (the first replication of a set)."""
    p = Path(path)
    if (p / "replications.json").exists():
        return p / json.loads((p / "replications.json").read_text())["runs"][0]
    return p


def _sqlite(path: Path):
    from sqlalchemy import create_engine

    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the run kept no such store")
    return create_engine(f"sqlite:///{path}")


#: The run pickers' value for the live twin's stores (:meth:`dash_app.live.LiveTwin.stores`).
LIVE = "live"


def _engine(run, name: str):
    """A read engine on the store ``name`` (``services.sqlite``, ``ledger.sqlite``) of ``run``:
    a finished run's folder, or a live twin's stores (a mapping from
    :meth:`dash_app.live.LiveTwin.stores`: store name → database URL, read through an engine of
    its own, the twin writing on in its thread)."""
    if isinstance(run, dict):
        from sqlalchemy import create_engine

        if run.get(name) is None:
            raise FileNotFoundError(f"the live twin keeps no {name} store")
        schema = run.get(name.replace(".sqlite", ".schema"))
        if schema:                                   # PostgreSQL, in a schema of its own
            from twin.storage import open_engine

            return open_engine(run[name].render_as_string(hide_password=False), schema=schema)
        return create_engine(run[name])
    return _sqlite(first_run(run) / name)


def requests_table(run: str | Path) -> list[dict]:
    """The run's Open311 requests: id, category, stage, district, SLA due and breach, and times
    in Brașov local time (:func:`local`)."""
    from sqlalchemy import select

    from services.store import service_requests as r

    eng = _engine(run, "services.sqlite")
    cols = [r.c.id, r.c.service_code, r.c.status, r.c.stage, r.c.district, r.c.department, r.c.priority,
            r.c.channel, r.c.requested_at, r.c.expected_at, r.c.closed_at, r.c.sla_breached, r.c.rating]
    with eng.connect() as conn:
        rows = conn.execute(select(*cols).order_by(r.c.id)).mappings().all()
    eng.dispose()
    return [{k: (local(v) if isinstance(v, datetime) else v) for k, v in row.items()} for row in rows]


def request_history(run: str | Path, request_id: int) -> list[dict]:
    """Status changes of one request, oldest first."""
    from sqlalchemy import select

    from services.store import status_changes as s

    eng = _engine(run, "services.sqlite")
    with eng.connect() as conn:
        rows = conn.execute(select(s.c.at, s.c.stage, s.c.status, s.c.note, s.c.by)
                            .where(s.c.request_id == int(request_id)).order_by(s.c.at, s.c.id)).mappings().all()
    eng.dispose()
    return [{**row, "at": local(row["at"])} for row in rows]


def ledger_tables(run: str | Path, limit: int = 50) -> dict:
    """Recent anchored batches and payments (payer shown as its hash only; ``paid_at`` in Brașov
    local time)."""
    from sqlalchemy import select

    from ledger.store import batches, payments

    eng = _engine(run, "ledger.sqlite")
    with eng.connect() as conn:
        b = conn.execute(select(batches.c.id, batches.c.root, batches.c.count, batches.c.total_bani,
                                batches.c.status, batches.c.block, batches.c.tx_hash)
                         .order_by(batches.c.id.desc()).limit(limit)).mappings().all()
        p = conn.execute(select(payments.c.id, payments.c.ref, payments.c.payer_hash, payments.c.tax_type,
                                payments.c.amount_bani, payments.c.paid_at, payments.c.batch_id, payments.c.idx)
                         .order_by(payments.c.id.desc()).limit(limit)).mappings().all()
    eng.dispose()
    pays = [{**x, "paid_at": local(datetime.fromtimestamp(x["paid_at"], UTC))} for x in p]
    return {"batches": [dict(x) for x in b], "payments": pays}


def verify_receipt(run: str | Path, receipt_id: str) -> dict:
    """Check a payment receipt (its payment ref ``0x…`` or payment id) against the run's anchored
    batch: the payment's fields must hash to its leaf, and the leaf's Merkle proof must lead to
    the root the batch anchored. Returns ``{valid, reason, ...}``."""
    from sqlalchemy import select

    from ledger import merkle
    from ledger.ledger import hx, text32, unhx
    from ledger.store import batches, payments

    rid = (receipt_id or "").strip()
    if not rid:
        return {"valid": False, "reason": "receipt id: empty — paste a payment ref (0x…) or a payment id"}
    eng = _engine(run, "ledger.sqlite")
    try:
        with eng.connect() as conn:
            col = payments.c.ref if rid.lower().startswith("0x") else payments.c.id
            if col is payments.c.id and not rid.isdigit():
                return {"valid": False, "reason": f"receipt id: {rid!r} is neither a payment ref (0x…) nor a number"}
            p = conn.execute(select(payments).where(col == (rid.lower() if rid.startswith("0x") else int(rid)))).mappings().first()
            if p is None:
                return {"valid": False, "reason": f"receipt id: {rid!r} — no such payment in this run"}
            if p["batch_id"] is None:
                return {"valid": False, "reason": "the payment is recorded but not yet anchored"}
            b = conn.execute(select(batches).where(batches.c.id == p["batch_id"])).mappings().first()
            leaves = [unhx(x) for x in conn.execute(select(payments.c.leaf).where(
                payments.c.batch_id == p["batch_id"]).order_by(payments.c.idx)).scalars()]
    finally:
        eng.dispose()
    lf = merkle.leaf(int(p["batch_id"]), int(p["idx"]), unhx(p["ref"]), unhx(p["payer_hash"]), text32(p["tax_type"]),
                     int(p["amount_bani"]), int(p["paid_at"]))
    base = {"payment_id": p["id"], "ref": p["ref"], "batch_id": p["batch_id"], "amount_ron": p["amount_bani"] / 100,
            "tax_type": p["tax_type"], "root": b["root"], "tx_hash": b["tx_hash"], "block": b["block"]}
    if hx(lf) != p["leaf"]:
        return {**base, "valid": False, "reason": "the payment's fields do not hash to its leaf (altered)"}
    proof = merkle.proof(merkle.tree(leaves), int(p["idx"]))
    if not merkle.verify(lf, proof, unhx(b["root"])) or b["status"] != "anchored":
        return {**base, "valid": False, "reason": "the Merkle proof does not lead to the anchored root"}
    return {**base, "valid": True, "reason": f"in batch {b['id']}, anchored in block {b['block']}"}


def permits(run: str | Path | dict) -> list[dict]:
    """Permits the run issued on the registry (from its ``permit_issued`` events; a live twin's
    as its stores list them)."""
    if isinstance(run, dict):
        return list(run.get("permits", []))
    log = first_run(run) / "events.parquet"
    rows = duckdb.sql(f"""SELECT payload->>'permit_id', t, payload->>'tx_hash', ref FROM read_parquet('{log.as_posix()}')
                          WHERE kind = 'permit_issued' ORDER BY t""").fetchall()
    return [{"permit_id": a, "issued_h": round(t / 3600, 2), "tx_hash": tx, "request": ref} for a, t, tx, ref in rows]


def topic_tree(run: str | Path) -> dict:
    """The MQTT topic tree of a run's events with message counts; device ids (``sl-00042``)
    are folded into the single-level wildcard ``+``."""
    log = first_run(run) / "events.parquet"
    rows = duckdb.sql(f"""SELECT regexp_replace(topic, '/[a-z]{{2}}-[0-9]+(/|$)', '/+\\1') AS tp, count(*)
                          FROM read_parquet('{log.as_posix()}') GROUP BY 1 ORDER BY 1""").fetchall()
    tree: dict = {}
    for tp, n in rows:
        node = tree
        for part in tp.split("/"):
            node = node.setdefault(part, {})
        node["#"] = node.get("#", 0) + n
    return tree


def devices(run: str | Path) -> list[str]:
    log = first_run(run) / "events.parquet"
    return [r[0] for r in duckdb.sql(f"""SELECT DISTINCT entity FROM read_parquet('{log.as_posix()}')
                                        WHERE kind IN ('telemetry', 'device_state') ORDER BY 1""").fetchall()]


def has_telemetry(run: str | Path) -> bool:
    """Whether the run logged every device's readings (``sensors.log_telemetry: true``)."""
    log = first_run(run) / "events.parquet"
    return duckdb.sql(f"""SELECT count(*) FROM (SELECT 1 FROM read_parquet('{log.as_posix()}')
                          WHERE kind = 'telemetry' LIMIT 1)""").fetchall()[0][0] > 0


def fleet_summary(run: str | Path) -> dict:
    """The hourly ``telemetry_summary`` every run logs, telemetry or not: per device type,
    ``{type: {"h": hours, "ok": devices ok, "reports": packs received}}``."""
    log = first_run(run) / "events.parquet"
    rows = duckdb.sql(f"""SELECT entity, t / 3600, (payload->>'ok')::INT, (payload->>'reports')::INT
                          FROM read_parquet('{log.as_posix()}') WHERE kind = 'telemetry_summary'
                          ORDER BY entity, t""").fetchall()
    out: dict = {}
    for kind, h, ok, reports in rows:
        d = out.setdefault(kind, {"h": [], "ok": [], "reports": []})
        d["h"].append(h)
        d["ok"].append(ok)
        d["reports"].append(reports)
    return out


def device_series(run: str | Path, device: str) -> dict:
    """A device's readings ``{quantity: (hours, values)}`` and its state changes."""
    log = first_run(run) / "events.parquet"
    rows = duckdb.sql(f"""SELECT t / 3600, r.n, r.v FROM (
            SELECT t, unnest(from_json(payload->'senml', '[{{"n":"VARCHAR","v":"DOUBLE"}}]')) AS r
            FROM read_parquet('{log.as_posix()}') WHERE kind = 'telemetry' AND entity = $d)
        WHERE r.v IS NOT NULL ORDER BY 1""", params={"d": device}).fetchall()
    series: dict = {}
    for h, n, v in rows:
        name = n.split(":")[-1] if n else "?"
        series.setdefault(name, ([], []))
        series[name][0].append(h)
        series[name][1].append(v)
    states = duckdb.sql(f"""SELECT t / 3600, payload->>'status', payload->>'reason' FROM read_parquet('{log.as_posix()}')
                           WHERE kind = 'device_state' AND entity = $d ORDER BY t""", params={"d": device}).fetchall()
    return {"series": series, "states": [{"h": round(h, 2), "status": s, "reason": r} for h, s, r in states]}


def hourly(run: str | Path) -> dict:
    """Hourly time series of a run for charts: open requests, emergencies, payments."""
    log = first_run(run) / "events.parquet"
    q = f"""SELECT floor(t / 3600)::INT AS h,
                   count(*) FILTER (WHERE kind = 'request_received') AS received,
                   count(*) FILTER (WHERE kind = 'request_closed') AS closed,
                   count(*) FILTER (WHERE kind = 'on_scene') AS emergencies,
                   count(*) FILTER (WHERE kind = 'tax_payment') AS payments
            FROM read_parquet('{log.as_posix()}') GROUP BY 1 ORDER BY 1"""
    rows = duckdb.sql(q).fetchall()
    out = {"h": [r[0] for r in rows], "received": [r[1] for r in rows], "closed": [r[2] for r in rows],
           "emergencies": [r[3] for r in rows], "payments": [r[4] for r in rows]}
    backlog, cur = [], 0
    for a, b in zip(out["received"], out["closed"]):
        cur += a - b
        backlog.append(cur)
    out["open"] = backlog
    return out
