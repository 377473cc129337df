#!/usr/bin/env python3
"""Check residents.jsonl and dialogues.jsonl of this held-out set.

Usage: python3 validate.py [--data /work/shared/data]
Checks: valid JSON, exact keys, lang/intent/slot labels, every street / stop / line slot exists in
the OSM extract / GTFS feed, ids and numbers appear verbatim in the text, slot values allowed for the
intent, minimum counts required by the brief, and near-duplicate messages. Exit code 1 on any error.
Only the standard library is used."""
import argparse, bz2, collections, csv, difflib, io, json, os, re, sys, unicodedata, zipfile

INTENTS = {"greeting", "goodbye", "thanks", "report_issue", "request_status", "pay_tax", "tax_info",
           "permit_apply", "permit_verify", "transport_schedule", "office_info", "documents_info",
           "emergency", "human_agent", "feedback", "out_of_scope"}
CATEGORIES = {"pothole", "streetlight", "water_sewer", "garbage", "green_space", "road_sign", "noise",
              "illegal_parking", "illegal_construction", "public_transport", "other"}
TAX = {"property", "land", "vehicle"}
PERMIT = {"building", "urbanism_certificate", "residential_parking"}
SLOTS = {"street", "number", "category", "line", "stop", "request_id", "permit_id", "tax_type", "permit_type"}
ACTIONS = {"file_request": {"category", "street"}, "pay_tax": {"tax_type"}, "request_status": {"request_id"},
           "permit_verify": {"permit_id"}, "transport_schedule": None, "handoff": set(),
           "emergency": set(), "none": set()}

here = os.path.dirname(os.path.abspath(__file__))
errors, warnings = [], []
def err(msg): errors.append(msg)
def warn(msg): warnings.append(msg)

def fold(s):
    s = s.replace("ş", "ș").replace("ţ", "ț").replace("Ş", "Ș").replace("Ţ", "Ț")
    s = unicodedata.normalize("NFKD", s.lower())
    return "".join(c for c in s if not unicodedata.combining(c))

def load_streets(data):
    names = set()
    for fn in ("brasov_all_highways.osm.bz2", "brasov_drive.osm.bz2"):
        p = os.path.join(data, "osm", fn)
        if not os.path.exists(p):
            continue
        with bz2.open(p, "rt", encoding="utf-8") as f:
            for line in f:
                m = re.search(r'<tag k="name" v="([^"]*)"', line)
                if m:
                    import html
                    names.add(html.unescape(m.group(1)))
    # squares and other named places (e.g. Piața Sfatului is a pedestrian area) are in the same files
    return names

def load_gtfs(data):
    z = zipfile.ZipFile(os.path.join(data, "gtfs", "brasov_ratbv_gtfs.zip"))
    rd = lambda n: csv.DictReader(io.TextIOWrapper(z.open(n), encoding="utf-8-sig"))
    stops = {r["stop_name"] for r in rd("stops.txt")}
    lines = {r["route_short_name"] for r in rd("routes.txt")}
    return stops, lines

def mentioned(value, text, strip_words=("strada", "bulevardul", "calea", "aleea", "piata", "soseaua", "drumul", "intrarea")):
    """Loose check that a normalised value is mentioned: some significant word's first 5 letters occur."""
    t = fold(text)
    words = [w for w in re.findall(r"[a-z0-9]+", fold(value)) if w not in strip_words and len(w) >= 3]
    if not words:
        return True
    return any(w[:5] in t for w in words)

def check_slots(where, slots, intent, text, streets, stops, lines):
    if not isinstance(slots, dict):
        err(f"{where}: slots is not an object"); return
    for k, v in slots.items():
        if k not in SLOTS:
            err(f"{where}: unknown slot {k}")
        if not isinstance(v, str) or not v:
            err(f"{where}: slot {k} must be a non-empty string")
            continue
        if k == "street":
            if v not in streets: err(f"{where}: street not in OSM data: {v!r}")
            elif not mentioned(v, text): warn(f"{where}: street {v!r} not obviously mentioned in text")
        elif k == "stop":
            if v not in stops: err(f"{where}: stop not in GTFS stops.txt: {v!r}")
            elif not mentioned(v, text, ()): warn(f"{where}: stop {v!r} not obviously mentioned in text")
        elif k == "line":
            if v not in lines: err(f"{where}: line not a GTFS route_short_name: {v!r}")
            elif not re.search(r"(?<![0-9A-Za-z])" + re.escape(v) + r"(?![0-9])", text, re.I):
                warn(f"{where}: line {v!r} not written literally in the text (inferred, e.g. 'the airport bus')")
        elif k in ("request_id", "permit_id", "number"):
            if v not in text: err(f"{where}: {k} {v!r} does not appear verbatim in the text")
        elif k == "category":
            if v not in CATEGORIES: err(f"{where}: bad category {v!r}")
            if intent != "report_issue": err(f"{where}: category only allowed on report_issue")
        elif k == "tax_type" and v not in TAX: err(f"{where}: bad tax_type {v!r}")
        elif k == "permit_type" and v not in PERMIT: err(f"{where}: bad permit_type {v!r}")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data")
    a = ap.parse_args()
    streets = load_streets(a.data)
    stops, lines = load_gtfs(a.data)

    # ---- residents ----
    rows = []
    with open(os.path.join(here, "residents.jsonl"), encoding="utf-8") as f:
        for i, ln in enumerate(f, 1):
            try:
                r = json.loads(ln)
            except Exception as e:
                err(f"residents:{i}: bad JSON ({e})"); continue
            if set(r) != {"text", "lang", "intent", "slots"}:
                err(f"residents:{i}: keys {sorted(r)}")
                continue
            if r["lang"] not in ("ro", "en"): err(f"residents:{i}: bad lang {r['lang']!r}")
            if r["intent"] not in INTENTS: err(f"residents:{i}: bad intent {r['intent']!r}")
            if not r["text"].strip(): err(f"residents:{i}: empty text")
            check_slots(f"residents:{i}", r["slots"], r["intent"], r["text"], streets, stops, lines)
            if r["intent"] == "report_issue" and "category" not in r["slots"]:
                warn(f"residents:{i}: report_issue without category")
            rows.append(r)
    near = set()
    p = os.path.join(here, "residents_near_misses.txt")
    if os.path.exists(p):
        near = {int(x) for x in open(p) if x.strip() and not x.startswith("#")}
        for n in near:
            if n < 1 or n > len(rows): err(f"near-miss index out of range: {n}")
            elif rows[n - 1]["intent"] == "emergency": err(f"near-miss {n} is labelled emergency")

    # near-duplicates
    norm = [re.sub(r"\s+", " ", re.sub(r"[^\w ]", " ", fold(r["text"]))).strip() for r in rows]
    for i in range(len(norm)):
        for j in range(i + 1, len(norm)):
            if norm[i] == norm[j]:
                err(f"residents:{i+1} and {j+1}: duplicate text"); continue
            s2 = difflib.SequenceMatcher(None, norm[i], norm[j], autojunk=False)
            if s2.real_quick_ratio() > 0.85 and s2.quick_ratio() > 0.85 and s2.ratio() > 0.85:
                warn(f"residents:{i+1} and {j+1}: near-duplicate ({s2.ratio():.2f})")

    # ---- dialogues ----
    dials, ids = [], set()
    with open(os.path.join(here, "dialogues.jsonl"), encoding="utf-8") as f:
        for i, ln in enumerate(f, 1):
            try:
                d = json.loads(ln)
            except Exception as e:
                err(f"dialogues:{i}: bad JSON ({e})"); continue
            if set(d) != {"id", "lang", "turns", "goal"}:
                err(f"dialogues:{i}: keys {sorted(d)}"); continue
            w = f"dialogue {d['id']}"
            if d["id"] in ids: err(f"{w}: duplicate id")
            ids.add(d["id"])
            if d["lang"] not in ("ro", "en"): err(f"{w}: bad lang")
            if not isinstance(d["turns"], list) or len(d["turns"]) < 2 or not all(isinstance(t, str) and t.strip() for t in d["turns"]):
                err(f"{w}: turns must be >= 2 non-empty strings")
            g = d["goal"]; act = g.get("action")
            if act not in ACTIONS:
                err(f"{w}: bad action {act!r}"); continue
            text = "\n".join(d["turns"])
            keys = set(g) - {"action"}
            if act == "transport_schedule":
                if keys not in ({"line"}, {"stop"}): err(f"{w}: transport_schedule needs line or stop")
            elif keys != ACTIONS[act]:
                err(f"{w}: goal keys {sorted(keys)} for {act}")
            slots = {k: v for k, v in g.items() if k != "action"}
            check_slots(w, slots, "report_issue" if act == "file_request" else act, text, streets, stops, lines)
            if act in ("file_request", "pay_tax"):
                last = fold(d["turns"][-1] + " " + (d["turns"][-2] if len(d["turns"]) > 1 else ""))
                if not re.search(r"\b(da|yes|yep|sure|confirm|trimit|send|submit|file|inregistr|go ahead|pay it)", last):
                    warn(f"{w}: no obvious confirmation turn near the end")
            dials.append(d)

    # ---- counts ----
    ci = collections.Counter(r["intent"] for r in rows)
    cl = collections.Counter(r["lang"] for r in rows)
    print(f"residents: {len(rows)} messages; lang {dict(cl)} ({100*cl['ro']/max(1,len(rows)):.0f}% ro)")
    for k in sorted(INTENTS, key=lambda k: -ci[k]):
        byl = collections.Counter(r["lang"] for r in rows if r["intent"] == k)
        print(f"  {k:20s} {ci[k]:4d}  (ro {byl['ro']}, en {byl['en']})")
    print(f"near-misses: {len(near)}")
    ca = collections.Counter(d["goal"]["action"] for d in dials)
    print(f"dialogues: {len(dials)}; actions {dict(ca)}; lang {dict(collections.Counter(d['lang'] for d in dials))}")
    print(f"distinct streets used: {len({r['slots']['street'] for r in rows if 'street' in r['slots']} | {d['goal']['street'] for d in dials if 'street' in d['goal']})}")
    if len(rows) < 450: err("fewer than 450 messages")
    if ci["emergency"] < 90: err("fewer than 90 emergencies")
    if len(near) < 60: err("fewer than 60 near-misses")
    for k in INTENTS - {"report_issue", "emergency"}:
        if ci[k] < 15: err(f"intent {k} has fewer than 15 messages")
    if len(dials) < 50: err("fewer than 50 dialogues")
    for w_ in warnings: print("WARN", w_)
    for e in errors: print("ERROR", e)
    print(f"{len(errors)} errors, {len(warnings)} warnings")
    sys.exit(1 if errors else 0)

if __name__ == "__main__":
    main()
