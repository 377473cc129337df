#!/usr/bin/env python3
"""Validator for the held-out set D. Run: python3 validate.py  (exit 0 = pass)."""
import json, sys, re, bz2, csv, io, zipfile, unicodedata, difflib, os
from collections import Counter
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("SHARED_DATA", "/work/shared/data")
INTENTS = {"emergency","report_issue","request_status","pay_tax","tax_info","permit_apply","permit_verify",
           "documents_info","office_info","transport_schedule","feedback","human_agent","greeting","thanks",
           "goodbye","out_of_scope"}
CATS = {"pothole","streetlight","garbage","illegal_parking","noise","water_sewer","green_space","road_sign",
        "public_transport","illegal_construction","other"}
SLOTS = {"category","street","number","request_id","permit_id","permit_type","tax_type","line","stop"}
PTYPES = {"building","urbanism_certificate","residential_parking"}
TTYPES = {"property","land","vehicle"}
ACTIONS = {"file_request":{"category","street"},"pay_tax":{"tax_type"},"request_status":{"request_id"},
           "permit_verify":{"permit_id"},"transport_schedule":set(),"handoff":set(),"emergency":set(),"none":set()}
errors = []
def err(m): errors.append(m)

# reference data
osm = set()
with bz2.open(os.path.join(DATA, "osm/brasov_all_highways.osm.bz2"), "rt", encoding="utf-8") as f:
    for line in f:
        m = re.search(r'<tag k="name" v="([^"]*)"', line)
        if m: osm.add(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
z = zipfile.ZipFile(os.path.join(DATA, "gtfs/brasov_ratbv_gtfs.zip"))
lines = {r["route_short_name"] for r in csv.DictReader(io.TextIOWrapper(z.open("routes.txt"), "utf-8-sig"))}
stops = {r["stop_name"] for r in csv.DictReader(io.TextIOWrapper(z.open("stops.txt"), "utf-8-sig"))}

def norm(s):
    s = unicodedata.normalize("NFKD", s.lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", s).strip()
TYPEWORDS = {"strada","bulevardul","calea","aleea","piata","drumul","soseaua","splaiul","intrarea"}
def street_mentioned(street, text):
    t = norm(text); words = [w for w in norm(street).split() if w not in TYPEWORDS and len(w) >= 4]
    if not words: words = [w for w in norm(street).split() if w not in TYPEWORDS]
    return any(w[:5] in t for w in words)

def check_slots(where, slots, text, intent=None):
    if not isinstance(slots, dict): err(f"{where}: slots not a dict"); return
    for k, v in slots.items():
        if k not in SLOTS: err(f"{where}: unknown slot {k}")
        if not isinstance(v, str) or not v.strip(): err(f"{where}: empty/non-string slot {k}")
    if "category" in slots and slots["category"] not in CATS: err(f"{where}: bad category {slots['category']}")
    if "category" in slots and intent not in (None, "report_issue"): err(f"{where}: category outside report_issue")
    if "permit_type" in slots and slots["permit_type"] not in PTYPES: err(f"{where}: bad permit_type")
    if "tax_type" in slots and slots["tax_type"] not in TTYPES: err(f"{where}: bad tax_type")
    if "street" in slots:
        if slots["street"] not in osm: err(f"{where}: street not in OSM: {slots['street']}")
        elif not street_mentioned(slots["street"], text): err(f"{where}: street {slots['street']} not recognisable in text")
    if "line" in slots:
        if slots["line"] not in lines: err(f"{where}: line not in GTFS: {slots['line']}")
        elif not re.search(r"(?<![0-9a-z])" + re.escape(slots["line"].lower()), text.lower()):
            err(f"{where}: line {slots['line']} not in text")
    if "stop" in slots and slots["stop"] not in stops: err(f"{where}: stop not in GTFS: {slots['stop']}")
    for k in ("request_id", "permit_id", "number"):
        if k in slots and slots[k] not in text: err(f"{where}: {k} '{slots[k]}' not verbatim in text")
    if "request_id" in slots and slots["request_id"].startswith(("#", "nr")): err(f"{where}: request_id keeps prefix")

# residents
res = []
with open(os.path.join(HERE, "residents.jsonl"), encoding="utf-8") as f:
    for i, ln in enumerate(f, 1):
        try: o = json.loads(ln)
        except Exception as e: err(f"residents:{i}: bad JSON {e}"); continue
        if set(o) != {"text","lang","intent","slots"}: err(f"residents:{i}: keys {sorted(o)}")
        if o.get("lang") not in ("ro","en"): err(f"residents:{i}: lang")
        if o.get("intent") not in INTENTS: err(f"residents:{i}: intent {o.get('intent')}")
        if not o.get("text","").strip(): err(f"residents:{i}: empty text")
        check_slots(f"residents:{i}", o.get("slots", {}), o.get("text",""), o.get("intent"))
        res.append(o)
if len(res) < 500: err(f"only {len(res)} messages")

# near duplicates
normed = [norm(o["text"]) for o in res]
seen = {}
for i, a in enumerate(normed):
    if a in seen: err(f"residents:{i+1}: exact duplicate of {seen[a]+1}")
    seen.setdefault(a, i)
for i in range(len(normed)):
    for j in range(i+1, len(normed)):
        a, b = normed[i], normed[j]
        if abs(len(a)-len(b)) > 0.2*max(len(a), len(b)): continue
        sm = difflib.SequenceMatcher(None, a, b)
        if sm.real_quick_ratio() > 0.9 and sm.quick_ratio() > 0.9 and sm.ratio() > 0.9 and len(a) > 12:
            err(f"near-duplicate residents:{i+1} / {j+1}: {res[i]['text']!r} ~ {res[j]['text']!r}")

# dialogues
dia = []
with open(os.path.join(HERE, "dialogues.jsonl"), encoding="utf-8") as f:
    for i, ln in enumerate(f, 1):
        try: o = json.loads(ln)
        except Exception as e: err(f"dialogues:{i}: bad JSON {e}"); continue
        w = f"dialogues:{o.get('id', i)}"
        if set(o) != {"id","lang","turns","goal"}: err(f"{w}: keys")
        if o.get("lang") not in ("ro","en"): err(f"{w}: lang")
        if not isinstance(o.get("turns"), list) or not o["turns"] or not all(isinstance(t, str) and t.strip() for t in o["turns"]):
            err(f"{w}: turns")
        g = o.get("goal", {}); a = g.get("action")
        if a not in ACTIONS: err(f"{w}: action {a}"); continue
        missing = ACTIONS[a] - set(g)
        if missing: err(f"{w}: goal missing {missing}")
        allowed = ACTIONS[a] | ({"line","stop"} if a == "transport_schedule" else set()) | {"action"}
        if set(g) - allowed: err(f"{w}: unexpected goal keys {set(g)-allowed}")
        check_slots(w, {k: v for k, v in g.items() if k != "action"}, " \n ".join(o.get("turns", [])))
        dia.append(o)
if len(dia) < 50: err(f"only {len(dia)} dialogues")
ids = [o["id"] for o in dia]
if len(ids) != len(set(ids)): err("duplicate dialogue ids")

print("messages:", len(res), dict(Counter(o["lang"] for o in res)))
for k, v in sorted(Counter(o["intent"] for o in res).items(), key=lambda x: -x[1]): print(f"  {k:20s} {v}")
print("dialogues:", len(dia), dict(Counter(o["lang"] for o in dia)), dict(Counter(o["goal"]["action"] for o in dia)))
if errors:
    print(f"FAIL: {len(errors)} problems"); [print(" -", e) for e in errors]; sys.exit(1)
print("OK: all checks passed")
