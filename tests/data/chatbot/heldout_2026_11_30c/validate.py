#!/usr/bin/env python3
"""Validate residents.jsonl and dialogues.jsonl against the labelling scheme and the real Brașov data.

Checks: JSON syntax, exact keys, labels and slot values; street gold values are OSM `name`s in
brasov_all_highways.osm.bz2; lines are GTFS route_short_name and stops GTFS stop_name;
request/permit ids and house numbers appear verbatim in the text; no exact or near-duplicate
texts (after lower-casing, stripping diacritics and punctuation); size and language mix.
Usage: python3 validate.py [--data /work/shared/data]
Exit code 0 = all checks passed.
"""
import bz2, csv, difflib, io, json, os, re, sys, unicodedata, zipfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[sys.argv.index("--data") + 1] if "--data" in sys.argv else "/work/shared/data"

INTENTS = {"emergency", "report_issue", "request_status", "pay_tax", "tax_info", "permit_apply",
           "permit_verify", "documents_info", "office_info", "transport_schedule", "feedback",
           "human_agent", "greeting", "thanks", "goodbye", "out_of_scope"}
CATEGORIES = {"pothole", "streetlight", "garbage", "illegal_parking", "noise", "water_sewer",
              "green_space", "road_sign", "public_transport", "illegal_construction", "other"}
TAX_TYPES = {"property", "land", "vehicle"}
PERMIT_TYPES = {"building", "urbanism_certificate", "residential_parking"}
# which slots may appear with which intent
SLOT_INTENTS = {
    "category": {"report_issue"},
    "street": {"report_issue", "emergency"},
    "number": {"report_issue", "emergency"},
    "request_id": {"request_status"},
    "permit_id": {"permit_verify"},
    "permit_type": {"permit_apply", "permit_verify"},
    "tax_type": {"pay_tax", "tax_info"},
    "line": {"transport_schedule"},
    "stop": {"transport_schedule"},
}
GOALS = {  # action -> (required keys, optional keys)
    "file_request": ({"category", "street"}, set()),
    "pay_tax": ({"tax_type"}, set()),
    "request_status": ({"request_id"}, set()),
    "permit_verify": ({"permit_id"}, set()),
    "transport_schedule": (set(), {"line", "stop"}),
    "handoff": (set(), set()),
    "emergency": (set(), set()),
    "none": (set(), set()),
}
TYPE_WORDS = {"strada", "bulevardul", "calea", "aleea", "piata", "soseaua", "intrarea", "drumul", "splaiul"}

errors = []
def err(where, msg):
    errors.append(f"{where}: {msg}")

def fold(s):
    s = unicodedata.normalize("NFKD", s.lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", s)).strip()

# ---------- reference data ----------
osm_names = set()
with bz2.open(os.path.join(DATA, "osm", "brasov_all_highways.osm.bz2"), "rt", encoding="utf-8") as f:
    for line in f:
        if '<tag k="name"' in line:
            m = re.search(r'<tag k="name" v="([^"]*)"', line)
            if m:
                import html
                osm_names.add(html.unescape(m.group(1)))
with zipfile.ZipFile(os.path.join(DATA, "gtfs", "brasov_ratbv_gtfs.zip")) as z:
    routes = {r["route_short_name"] for r in csv.DictReader(io.TextIOWrapper(z.open("routes.txt"), "utf-8-sig"))}
    stops = {r["stop_name"] for r in csv.DictReader(io.TextIOWrapper(z.open("stops.txt"), "utf-8-sig"))}

def street_mentioned(street, text):
    """Loose sanity check: some distinctive word of the street name (first 4 letters, folded) is in the text."""
    words = [w for w in fold(street).split() if w not in TYPE_WORDS]
    t = fold(text)
    return any(w[:4] in t for w in words if len(w) >= 3) or any(w in t.split() for w in words)

def check_slot(where, key, val, text, intent=None):
    if not isinstance(val, str) or not val.strip():
        err(where, f"slot {key} must be a non-empty string"); return
    if intent is not None and intent not in SLOT_INTENTS.get(key, set()):
        err(where, f"slot {key} not allowed for intent {intent}")
    if key == "category" and val not in CATEGORIES: err(where, f"bad category {val!r}")
    if key == "tax_type" and val not in TAX_TYPES: err(where, f"bad tax_type {val!r}")
    if key == "permit_type" and val not in PERMIT_TYPES: err(where, f"bad permit_type {val!r}")
    if key == "street":
        if val not in osm_names: err(where, f"street {val!r} is not an OSM name in the Brașov extract")
        if re.search("[şţŞŢ]", val): err(where, f"street {val!r} uses cedilla letters")
        if text is not None and not street_mentioned(val, text): err(where, f"street {val!r} not recognisable in text")
    if key == "line":
        if val not in routes: err(where, f"line {val!r} not a GTFS route_short_name")
        if text is not None and fold(val) not in fold(text): err(where, f"line {val!r} not in text")
    if key == "stop" and val not in stops: err(where, f"stop {val!r} not a GTFS stop_name")
    if key in ("request_id", "permit_id", "number") and text is not None and val not in text:
        err(where, f"{key} {val!r} does not appear verbatim in the text")
    if key == "request_id" and (val.startswith("#") or val.lower().startswith("nr")):
        err(where, f"request_id {val!r} keeps a prefix")

def near_dups(items, where_prefix):
    """items: list of (where, text). Exact duplicates after folding, or difflib ratio >= 0.88."""
    folded = [(w, fold(t)) for w, t in items]
    seen = {}
    for w, f in folded:
        if f in seen: err(w, f"duplicate of {seen[f]}")
        else: seen[f] = w
    for i in range(len(folded)):
        wi, fi = folded[i]
        if len(fi) < 12: continue
        sm = difflib.SequenceMatcher(None, fi, autojunk=False)
        for j in range(i + 1, len(folded)):
            wj, fj = folded[j]
            if len(fj) < 12 or abs(len(fi) - len(fj)) > 0.25 * max(len(fi), len(fj)): continue
            sm.set_seq1(fj)
            if sm.real_quick_ratio() >= 0.88 and sm.quick_ratio() >= 0.88 and sm.ratio() >= 0.88:
                err(wj, f"near-duplicate of {wi}: {fj!r} ~ {fi!r}")

# ---------- residents ----------
res_path = os.path.join(HERE, "residents.jsonl")
residents = []
for n, line in enumerate(open(res_path, encoding="utf-8"), 1):
    where = f"residents.jsonl:{n}"
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        err(where, f"bad JSON: {e}"); continue
    if not isinstance(r, dict) or set(r) != {"text", "lang", "intent", "slots"}:
        err(where, f"keys must be text, lang, intent, slots; got {sorted(r) if isinstance(r, dict) else type(r)}"); continue
    if not isinstance(r["text"], str) or not r["text"].strip(): err(where, "empty text")
    if r["lang"] not in ("ro", "en"): err(where, f"bad lang {r['lang']!r}")
    if r["intent"] not in INTENTS: err(where, f"bad intent {r['intent']!r}")
    if not isinstance(r["slots"], dict): err(where, "slots must be an object"); continue
    for k, v in r["slots"].items():
        if k not in SLOT_INTENTS: err(where, f"unknown slot {k!r}"); continue
        check_slot(where, k, v, r["text"], r["intent"])
    if r["intent"] == "report_issue" and "category" not in r["slots"]:
        err(where, "report_issue without category")
    if "number" in r["slots"] and "street" not in r["slots"]:
        err(where, "number without street")
    residents.append((where, r))

# ---------- dialogues ----------
dia_path = os.path.join(HERE, "dialogues.jsonl")
dialogues, ids = [], set()
for n, line in enumerate(open(dia_path, encoding="utf-8"), 1):
    where = f"dialogues.jsonl:{n}"
    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        err(where, f"bad JSON: {e}"); continue
    if not isinstance(d, dict) or set(d) != {"id", "lang", "turns", "goal"}:
        err(where, "keys must be id, lang, turns, goal"); continue
    if not re.fullmatch(r"c\d{3}", str(d["id"])) or d["id"] in ids: err(where, f"bad or repeated id {d['id']!r}")
    ids.add(d["id"])
    if d["lang"] not in ("ro", "en"): err(where, f"bad lang {d['lang']!r}")
    turns = d["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        err(where, "turns must be a non-empty list of non-empty strings"); continue
    g = d["goal"]
    if not isinstance(g, dict) or g.get("action") not in GOALS:
        err(where, f"bad goal {g!r}"); continue
    req, opt = GOALS[g["action"]]
    keys = set(g) - {"action"}
    if not req <= keys or not keys <= req | opt: err(where, f"goal keys {sorted(keys)} for {g['action']}: need {sorted(req)}, may have {sorted(opt)}")
    alltext = "\n".join(turns)
    for k in keys:
        check_slot(where, k, g[k], alltext)
    if g["action"] in ("file_request", "pay_tax") and len(turns) < 2:
        err(where, "file/pay dialogue needs a confirmation turn")
    dialogues.append((where, d))

# ---------- duplicates ----------
near_dups([(w, r["text"]) for w, r in residents], "residents")
near_dups([(w, " / ".join(d["turns"])) for w, d in dialogues], "dialogues")
# a resident message must not be copied into a dialogue turn (long turns only)
rfold = {fold(r["text"]): w for w, r in residents}
for w, d in dialogues:
    for t in d["turns"]:
        if len(t) > 25 and fold(t) in rfold: err(w, f"turn copied from {rfold[fold(t)]}")

# ---------- size and mix ----------
if len(residents) < 500: err("residents.jsonl", f"only {len(residents)} messages (need >= 500)")
if len(dialogues) < 50: err("dialogues.jsonl", f"only {len(dialogues)} dialogues (need >= 50)")
lang_r = Counter(r["lang"] for _, r in residents)
ro_share = lang_r["ro"] / max(1, len(residents))
if not 0.5 <= ro_share <= 0.7: err("residents.jsonl", f"Romanian share {ro_share:.2f} outside 0.5-0.7")
intents = Counter(r["intent"] for _, r in residents)
missing = INTENTS - set(intents)
if missing: err("residents.jsonl", f"intents never used: {sorted(missing)}")

# ---------- report ----------
print(f"residents: {len(residents)} messages; ro {lang_r['ro']} ({ro_share:.0%}), en {lang_r['en']}")
for i, c in intents.most_common():
    by = Counter(r["lang"] for _, r in residents if r["intent"] == i)
    print(f"  {i:20s} {c:4d}  (ro {by['ro']}, en {by['en']})")
acts = Counter(d["goal"]["action"] for _, d in dialogues)
lang_d = Counter(d["lang"] for _, d in dialogues)
print(f"dialogues: {len(dialogues)}; ro {lang_d['ro']}, en {lang_d['en']}; turns {sum(len(d['turns']) for _, d in dialogues)}")
for a, c in acts.most_common():
    print(f"  {a:20s} {c:4d}")
print(f"reference data: {len(osm_names)} OSM names, {len(routes)} GTFS routes, {len(stops)} GTFS stop names")
if errors:
    print(f"\nFAILED: {len(errors)} problem(s)")
    for e in errors: print("  " + e)
    sys.exit(1)
print("\nOK: all checks passed")
