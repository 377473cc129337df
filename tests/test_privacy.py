"""Privacy by design, checked on a whole run: what the twin publishes — ``events.parquet``, the
MQTT messages, the chain — never links a citizen's pseudonym to the payer hash the chain holds,
never shows a citizen's exact home in a trip or a payment, and after ``Ledger.forget`` nothing
leads from the ledger back to the erased citizen.

One run (demo town, 1,200 citizens, 19 h in the tax rush, ledger on, mirrored to a private
mosquitto) is scanned by every test here.
"""
from __future__ import annotations

import json
import re
import threading
import time

import numpy as np
import pytest
from sqlalchemy import select

from ledger.store import batches, payments, salts, settings
from sensors.bridge import MqttParams, connect, make_client, parse_url
from tests.mqtt_broker import Broker
from twin.eventlog import read_events

PSEUDONYM = re.compile(r"\b(?:citizen|household|anon|chat):[0-9A-Za-z_-]+")
HASH = re.compile(r"0x[0-9a-f]{16,64}")          # a hash, or a prefix of one long enough to match it


def _prefixes(hashes) -> set[str]:
    return {h[:18] for h in hashes}
TRIP_KINDS = {"trip_start", "trip_end", "trip_unreachable", "bus_board"}
PAYMENT_KINDS = {"tax_payment", "payment_receipt", "batch_anchored", "anchor_deferred"}


class _Subscriber:
    """Keeps every message of ``city/#`` (QoS 1)."""

    def __init__(self, url: str):
        self.msgs: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        b = parse_url(url)
        self.c = make_client(b, f"privacy-{time.time_ns()}")
        self.c.on_message = self._on
        self.c.on_connect = lambda c, *a: c.subscribe("city/#", qos=1)
        connect(self.c, b, 5)
        self.c.subscribe("city/#", qos=1)
        time.sleep(0.3)

    def _on(self, _c, _u, m):
        with self.lock:
            self.msgs.append((m.topic, bytes(m.payload)))

    def stop(self):
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture(scope="module")
def run(tmp_path_factory, demo_city):
    from scenarios import load_scenario
    from twin_app.run import build_twin

    folder = tmp_path_factory.mktemp("privacy")
    (folder / "broker").mkdir()
    broker = Broker(folder / "broker").start()
    sub = _Subscriber(broker.url)
    try:
        sc = load_scenario("baseline", city="demo", population=1200, hours=19, seed=5,
                           start="2026-03-30T00:00:00", ledger={"anchor_every_min": 60},
                           sensors={"density": {"streetlight": 0.5}, "interval_s": {t: 3600 for t in
                                    ("streetlight", "air_quality", "traffic_counter", "noise", "waste_bin",
                                     "water_pressure", "wearable")}})
        tw = build_twin(sc, demo_city, folder / "run", timetable=None, mqtt=MqttParams(url=broker.url, qos=1))
        tw.run(19)
        ledger = tw.component("ledger").ledger
        pop = tw.component("population").pop
        tw.finish()                                     # anchors the last batch, drains MQTT
        k = tw.kpis()
        tw.close()
        deadline = time.time() + 30
        while time.time() < deadline:                   # acknowledged; wait until delivered
            with sub.lock:
                if len(sub.msgs) >= k["mqtt"]["published"]:
                    break
            time.sleep(0.1)
    finally:
        sub.stop()
        broker.stop()
    rows = []                                           # every MQTT event as a flat dict
    for topic, body in sub.msgs:
        if topic.endswith("/telemetry"):
            continue                                    # SenML packs of devices (no people)
        doc = json.loads(body)
        rows += doc if isinstance(doc, list) else [doc]
    return {"events": read_events(folder / "run" / "events.parquet").to_pandas(), "mqtt": rows,
            "ledger": ledger, "pop": pop, "city": demo_city, "kpis": k, "n_mqtt": len(sub.msgs)}


def _event_rows(run):
    """Log and MQTT rows in one shape: (source, kind, entity, ref, lon, lat, text of the payload)."""
    ev = run["events"]
    for kind, ent, ref, lon, lat, payload in zip(ev.kind, ev.entity, ev.ref, ev.lon, ev.lat, ev.payload):
        yield "log", kind, ent, ref, lon, lat, payload
    for r in run["mqtt"]:
        rest = {k: v for k, v in r.items() if k not in ("kind", "entity", "ref", "lon", "lat", "t")}
        yield ("mqtt", r.get("kind"), r.get("entity") or "", r.get("ref") or "",
               np.nan if r.get("lon") is None else r["lon"], np.nan if r.get("lat") is None else r["lat"],
               json.dumps(rest, sort_keys=True))


def _payer_hashes(ledger) -> set[str]:
    with ledger.engine.connect() as conn:
        return set(conn.execute(select(payments.c.payer_hash)).scalars())


def test_the_run_published_what_is_scanned(run):
    kinds = set(run["events"].kind)
    assert {"tax_payment", "payment_receipt", "batch_anchored", "trip_start", "trip_end"} <= kinds
    assert run["kpis"]["ledger"]["payments_anchored"] > 20 and run["n_mqtt"] > 100
    assert {r.get("kind") for r in run["mqtt"]} >= {"payment_receipt", "trip_end"}


def test_no_event_links_a_pseudonym_to_a_payer_hash_or_a_payment(run):
    """Neither the log nor MQTT ties a pseudonym to the chain's payer hash, directly or through
    a payment event that could be joined (time, amount) with the ledger's rows."""
    hashes = _payer_hashes(run["ledger"])
    refs = {r["payment_ref"] for r in map(json.loads, run["events"][run["events"].kind == "payment_receipt"].payload)}
    assert hashes and refs
    linked, named_payments = [], []
    for src, kind, ent, ref, _lon, _lat, text in _event_rows(run):
        who = PSEUDONYM.findall(f"{ent} {ref} {text}")
        if kind in PAYMENT_KINDS and who:
            named_payments.append((src, kind, who[:2]))
        if who and ({x[:18] for x in HASH.findall(text)} & _prefixes(hashes | refs)):
            linked.append((src, kind, who[:2]))
    assert named_payments == [], named_payments[:5]
    assert linked == [], linked[:5]
    # the receipts stay verifiable from the log alone (they carry the salted hash, not the person)
    rc = json.loads(run["events"][run["events"].kind == "payment_receipt"].payload.iloc[3])
    r = {"payment": {"id": rc["payment_id"], "ref": rc["payment_ref"], "payer_hash": rc["payer_hash"],
                     "tax_type": rc["tax_type"], "amount_bani": rc["amount_bani"], "paid_at": rc["paid_at"]},
         **{k: rc[k] for k in ("batch_id", "index", "leaf", "proof", "root", "chain_id", "contract", "tx_hash", "block")}}
    assert run["ledger"].verify_receipt(r).ok


def _homes(run):
    pop, a = run["pop"], run["city"].arrays
    return np.asarray(pop.home), a["node_lon"], a["node_lat"]


def _home_hits(run, kinds=None):
    """Rows whose citizen (entity or ref) is shown at that citizen's exact home, by kind."""
    home, lon_n, lat_n = _homes(run)
    hits: dict[str, int] = {}
    for src, kind, ent, ref, lon, lat, text in _event_rows(run):
        if kinds is not None and kind not in kinds:
            continue
        for who in (ent, ref):
            if isinstance(who, str) and who.startswith("citizen:"):
                h = home[int(who.split(":")[1])]
                if lon == lon_n[h] and lat == lat_n[h]:
                    hits[f"{src}:{kind}"] = hits.get(f"{src}:{kind}", 0) + 1
    return hits


def test_trips_and_payments_never_show_a_home_exactly(run):
    assert _home_hits(run, TRIP_KINDS | PAYMENT_KINDS) == {}
    home, lon_n, lat_n = _homes(run)
    ev = run["events"]
    starts = ev[(ev.kind == "trip_start") & ev.entity.str.startswith("citizen:")]
    pay = starts.payload.map(json.loads)
    who = starts.entity.str.split(":").str[1].astype(int).to_numpy()
    to_node = np.array([p["to_node"] for p in pay])
    assert not (to_node == home[who]).any()                           # no destination is a home node
    coarse = np.array([p["coarse"] for p in pay])
    assert coarse.mean() > 0.5                                        # most trips start or end at home
    # a home is shown as its grid cell's point, which is no road node of the city
    from twin.geoprivacy import HomeGrid

    grid = HomeGrid(float(np.median(lat_n)))
    nodes = set(zip(lon_n.tolist(), lat_n.tolist()))
    cells = set(zip(*(x.tolist() for x in grid.centres(lon_n[home], lat_n[home]))))
    assert not (cells & nodes)
    ends = ev[(ev.kind == "trip_end") & ev.entity.str.startswith("citizen:")]
    shown = set(zip(ends.lon.tolist(), ends.lat.tolist())) | set(zip(starts.lon.tolist(), starts.lat.tolist()))
    assert shown - nodes and shown - nodes <= cells                 # off the roads: only cell points
    # the measure: a citizen's first departure and last arrival at the exact home node
    last = ends.groupby("entity").tail(1).set_index("entity")
    first = starts.groupby("entity").head(1).set_index("entity")
    both = first.join(last, lsuffix="_0", rsuffix="_1", how="inner")
    exact = [(r.lon_0, r.lat_0) == (lon_n[home[int(e.split(':')[1])]], lat_n[home[int(e.split(':')[1])]])
             for e, r in both.iterrows()]
    assert len(both) > 300 and sum(exact) == 0


def test_trip_figures_cannot_single_out_a_home_in_its_cell(run):
    """A trip from home shows the length of the trip from its cell's representative node: every
    home of the cell going to the same place shows the same length, so an exact route length
    cannot pick the home out of the cell; speeds stay plausible (within street limits, walks at
    walking speed), and trips between other places keep their exact figures."""
    home = np.asarray(run["pop"].home)
    ev = run["events"]
    starts = ev[(ev.kind == "trip_start") & ev.entity.str.startswith("citizen:")]
    groups: dict[tuple, set] = {}
    homes: dict[tuple, set] = {}
    for ent, lon, lat, p in zip(starts.entity, starts.lon, starts.lat, starts.payload.map(json.loads)):
        if p["coarse"] and p["to_node"] >= 0:                       # from a home to a known place
            key = (lon, lat, p["to_node"], p["mode"])
            groups.setdefault(key, set()).add(p["length_m"])
            homes.setdefault(key, set()).add(int(home[int(ent.split(":")[1])]))
    shared = [k for k in groups if len(homes[k]) > 1]
    assert len(shared) > 10                                         # neighbours going to the same place
    assert all(len(groups[k]) == 1 for k in shared)
    ends = [json.loads(p) for p in ev[(ev.kind == "trip_end") & ev.entity.str.startswith("citizen:")].payload]
    coarse = [p for p in ends if p["coarse"]]
    assert coarse
    assert all(p["length_m"] - 0.05 <= (70 / 3.6) * (p["duration_s"] + 0.005) for p in coarse if p["mode"] == "car")
    assert all(p["length_m"] / p["duration_s"] == pytest.approx(1.4, rel=1e-3)
               for p in coarse if p["mode"] == "walk" and p["duration_s"] > 10)
    exact = [p for p in ends if not p["coarse"]]
    assert exact and any(p["length_m"] % 1 for p in exact)           # other trips keep their figures


def test_no_event_of_any_kind_shows_a_citizen_at_home_exactly(run):
    assert _home_hits(run) == {}


def test_the_chain_holds_no_pseudonym_and_no_unsalted_hash(run):
    from eth_hash.auto import keccak

    led = run["ledger"]
    w3 = led.chain.w3
    blob = b""
    for n in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            blob += bytes(tx.get("input", tx.get("data", b"")))
            for log in w3.eth.get_transaction_receipt(tx["hash"])["logs"]:
                blob += bytes(log["data"]) + b"".join(bytes(t) for t in log["topics"])
    assert b"citizen" not in blob and b"household" not in blob
    n = len(run["pop"].home)
    assert not any(keccak(f"citizen:{i}".encode()) in blob for i in range(n))   # no dictionary attack
    home, lon_n, lat_n = _homes(run)
    assert not any(f"{lon_n[h]:.5f}".encode() in blob for h in home[:200])


def test_after_forget_nothing_links_the_citizen_to_the_ledger(run):
    led = run["ledger"]
    with led.engine.connect() as conn:
        who, = conn.execute(select(payments.c.payer).where(payments.c.payer.is_not(None)).limit(1)).first()
        ids = list(conn.execute(select(payments.c.id).where(payments.c.payer == who)).scalars())
    h = led.payer_hash_of(who)
    assert h is not None and ids
    assert led.forget(who) == len(ids)
    assert led.payer_hash_of(who) is None
    with led.engine.connect() as conn:
        dump = []
        for table in (payments, salts, batches, settings):
            dump += [" ".join(str(v) for v in row) for row in conn.execute(select(table))]
        remaining_salts = [bytes.fromhex(s[2:]) for s in conn.execute(select(salts.c.salt)).scalars()]
    assert not any(re.search(rf"(?<![\w:]){re.escape(who)}(?!\d)", line) for line in dump)
    from eth_hash.auto import keccak

    assert all("0x" + keccak(s + who.encode()).hex() != h for s in remaining_salts)   # no other salt re-links
    # nothing published links the pseudonym to the hash or to its payments
    refs = {r["payment"]["ref"] for r in led.receipts(ids)}
    for src, kind, ent, ref, _lon, _lat, text in _event_rows(run):
        if who in PSEUDONYM.findall(f"{ent} {ref} {text}"):
            assert not ({x[:18] for x in HASH.findall(text)} & _prefixes(refs | {h})), (src, kind)
    # and the city's accounts stay auditable: the erased citizen's receipts still verify
    assert all(led.verify_payment(i).ok for i in ids)


def test_a_chat_reply_is_published_without_its_receipt_reference():
    """A chat payment's reply names its receipt; the chat_conversation event, which carries the
    citizen's pseudonym, must not (it would tie the pseudonym to the payment on the chain)."""
    from services.chatbot.component import published_reply

    text = "Plata a fost înregistrată. Chitanța: 0xec51a0c9dab061ac… (tranzacția 0x9f2c44aa01bd)."
    out = published_reply(text)
    assert "ec51a0c9" not in out and "9f2c44aa" not in out and out.count("0x…") == 2
    assert out.startswith("Plata a fost înregistrată.") and len(published_reply("x" * 500)) == 200
