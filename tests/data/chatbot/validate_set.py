#!/usr/bin/env python3
"""Check one independent chatbot set (G and later) against the city data (stdlib only).

Usage: ``python3 tests/data/chatbot/validate_set.py SET_DIR [data_dir]`` (each set's own
``validate.py`` calls it with its folder). Written by set G's writer for set G; shared since, with
the set's dialogue-id letter taken from the folder's last letter (``heldout_2026_12_01h`` → h001…).
The data folder defaults to ``../shared/data`` beside the repository.
"""
import bz2, csv, io, json, os, re, sys, zipfile
from collections import Counter
import xml.etree.ElementTree as ET

if len(sys.argv) < 2:
    sys.exit("usage: validate_set.py SET_DIR [data_dir]")
HERE = os.path.abspath(sys.argv[1])
LETTER = os.path.basename(HERE.rstrip(os.sep))[-1]
DATA = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "..", "shared", "data")
INTENTS = {"report_issue", "emergency", "transport_schedule", "out_of_scope", "tax_info", "documents_info",
           "pay_tax", "human_agent", "feedback", "request_status", "permit_apply", "office_info", "thanks",
           "greeting", "permit_verify", "goodbye"}
SLOTS = {"category", "street", "number", "tax_type", "permit_type", "request_id", "permit_id", "line", "stop"}
CATEGORIES = {"streetlight", "pothole", "garbage", "illegal_parking", "green_space", "road_sign", "water_sewer",
              "noise", "public_transport", "illegal_construction", "other"}
TAX = {"property", "land", "vehicle"}
PERMITS = {"building", "urbanism_certificate", "residential_parking"}
errors = []
def err(msg): errors.append(msg)

# --- reference data ---
streets = set()
with bz2.open(os.path.join(DATA, "osm", "brasov_all_highways.osm.bz2")) as f:
    for ev, el in ET.iterparse(f):
        if el.tag == "way":
            tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
            if "highway" in tags and tags.get("name"):
                streets.add(tags["name"])
            el.clear()
        elif el.tag == "node":
            el.clear()
z = zipfile.ZipFile(os.path.join(DATA, "gtfs", "brasov_ratbv_gtfs.zip"))
def rows(name): return list(csv.DictReader(io.TextIOWrapper(z.open(name), "utf-8-sig")))
lines = {r["route_short_name"] for r in rows("routes.txt")}
stops = {r["stop_name"] for r in rows("stops.txt")}

def check_value(where, k, v):
    if not isinstance(v, str) or not v.strip():
        err(f"{where}: slot {k} must be a non-empty string"); return
    if v != v.strip(): err(f"{where}: slot {k} has surrounding spaces")
    if k == "street":
        if re.search("[şţŞŢ]", v): err(f"{where}: cedilla ş/ţ in street {v!r}")
        if v not in streets: err(f"{where}: street {v!r} not in OSM extract")
    elif k == "category" and v not in CATEGORIES: err(f"{where}: bad category {v!r}")
    elif k == "tax_type" and v not in TAX: err(f"{where}: bad tax_type {v!r}")
    elif k == "permit_type" and v not in PERMITS: err(f"{where}: bad permit_type {v!r}")
    elif k == "line" and v not in lines: err(f"{where}: line {v!r} not in GTFS")
    elif k == "stop" and v not in stops: err(f"{where}: stop {v!r} not in GTFS")
    elif k == "number" and not re.match(r"^\d+[A-Za-z]?( ?bis)?$", v): err(f"{where}: odd house number {v!r}")
    elif k == "request_id" and v.startswith("#"): err(f"{where}: request_id keeps '#'")

# --- residents ---
res = []
with open(os.path.join(HERE, "residents.jsonl"), encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        w = f"residents.jsonl:{i}"
        try: o = json.loads(line)
        except Exception as e: err(f"{w}: invalid JSON ({e})"); continue
        res.append(o)
        if set(o) != {"text", "lang", "intent", "slots"}: err(f"{w}: keys {sorted(o)}")
        if not isinstance(o.get("text"), str) or not o["text"].strip(): err(f"{w}: empty text")
        if o.get("lang") not in ("ro", "en"): err(f"{w}: bad lang")
        it = o.get("intent")
        if it not in INTENTS: err(f"{w}: bad intent {it!r}")
        sl = o.get("slots")
        if not isinstance(sl, dict): err(f"{w}: slots not an object"); continue
        for k, v in sl.items():
            if k not in SLOTS: err(f"{w}: unknown slot {k}"); continue
            check_value(w, k, v)
        if (it == "report_issue") != ("category" in sl): err(f"{w}: category must be on (and only on) report_issue")
        if "tax_type" in sl and it not in ("tax_info", "pay_tax", "documents_info"): err(f"{w}: tax_type on {it}")
        if "request_id" in sl and it != "request_status": err(f"{w}: request_id on {it}")
        if "permit_id" in sl and it != "permit_verify": err(f"{w}: permit_id on {it}")
        if it == "request_status" and "request_id" not in sl: err(f"{w}: request_status without request_id")
        if it == "permit_verify" and "permit_id" not in sl: err(f"{w}: permit_verify without permit_id")
        for k in ("request_id", "permit_id"):
            if k in sl and sl[k] not in o["text"]: err(f"{w}: {k} {sl[k]!r} not written in text")
texts = Counter(o.get("text") for o in res)
for t, c in texts.items():
    if c > 1: err(f"duplicate text x{c}: {t[:60]!r}")

# --- near misses ---
nm = []
for j, line in enumerate(open(os.path.join(HERE, "near_misses.txt")), 1):
    if not line.strip(): continue
    try: n = int(line)
    except ValueError: err(f"near_misses.txt:{j}: not an integer"); continue
    if not 1 <= n <= len(res): err(f"near_misses.txt:{j}: line {n} out of range"); continue
    if res[n - 1].get("intent") == "emergency": err(f"near_misses.txt:{j}: line {n} is labelled emergency")
    nm.append(n)
if len(set(nm)) != len(nm): err("near_misses.txt: duplicates")

# --- dialogues ---
GOALS = {"file_request": {"category", "street"}, "pay_tax": {"tax_type"}, "request_status": {"request_id"},
         "permit_verify": {"permit_id"}, "handoff": set(), "emergency": set(), "none": set()}
CONFIRM = re.compile(r"\b(da|yes|confirm|trimite|trimiteți|go ahead|plătește|send)\b", re.I)
dls, ids = [], set()
with open(os.path.join(HERE, "dialogues.jsonl"), encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        w = f"dialogues.jsonl:{i}"
        try: d = json.loads(line)
        except Exception as e: err(f"{w}: invalid JSON ({e})"); continue
        dls.append(d)
        if set(d) != {"id", "lang", "turns", "goal"}: err(f"{w}: keys {sorted(d)}")
        if not re.match(rf"^{LETTER}\d{{3}}$", str(d.get("id"))) or d["id"] in ids: err(f"{w}: bad/duplicate id")
        ids.add(d.get("id"))
        if d.get("lang") not in ("ro", "en"): err(f"{w}: bad lang")
        t = d.get("turns")
        if not isinstance(t, list) or not 2 <= len(t) <= 6 or not all(isinstance(x, str) and x.strip() for x in t):
            err(f"{w}: turns must be 2-6 non-empty strings")
        g = d.get("goal", {}); a = g.get("action")
        if a == "transport_schedule":
            keys = set(g) - {"action"}
            if not keys or not keys <= {"line", "stop"}: err(f"{w}: transport goal needs line and/or stop")
        elif a in GOALS:
            if set(g) - {"action"} != GOALS[a]: err(f"{w}: goal keys {sorted(g)} for {a}")
        else: err(f"{w}: bad action {a!r}")
        for k, v in g.items():
            if k != "action": check_value(w, k, v)
        if a in ("file_request", "pay_tax") and isinstance(t, list) and t and not CONFIRM.search(t[-1]):
            err(f"{w}: {a} dialogue must end with an explicit confirmation")

# --- report ---
ci = Counter((o.get("intent"), o.get("lang")) for o in res)
print(f"residents: {len(res)} messages  ro={sum(o.get('lang')=='ro' for o in res)}  en={sum(o.get('lang')=='en' for o in res)}")
for it in sorted(INTENTS, key=lambda x: -(ci[(x, 'ro')] + ci[(x, 'en')])):
    print(f"  {it:20s} total={ci[(it,'ro')]+ci[(it,'en')]:4d}  ro={ci[(it,'ro')]:3d}  en={ci[(it,'en')]:3d}")
    if not ci[(it, "ro")] or not ci[(it, "en")]: err(f"intent {it} missing a language")
print(f"near-misses: {len(nm)}")
print(f"dialogues: {len(dls)}  goals: {dict(Counter(d.get('goal',{}).get('action') for d in dls))}  "
      f"langs: {dict(Counter(d.get('lang') for d in dls))}")
if len(res) < 450: err("fewer than 450 messages")
if len(dls) < 50: err("fewer than 50 dialogues")
print(f"{len(errors)} errors")
for e in errors: print("ERROR", e)
sys.exit(1 if errors else 0)
