"""Builds ../residents.jsonl and ../dialogues.jsonl from the hand-written sources m*.txt and dialogues_src.py.
Source line format: intent|lang|slots|text ; slots as k=v,k=v with short keys."""
import json, glob, os, sys
HERE = os.path.dirname(os.path.abspath(__file__)); OUT = os.path.dirname(HERE)
KEYS = {"c": "category", "s": "street", "n": "number", "r": "request_id", "p": "permit_id",
        "pt": "permit_type", "t": "tax_type", "l": "line", "st": "stop"}
rows = []
for fn in sorted(glob.glob(os.path.join(HERE, "m*.txt"))):
    for ln in open(fn, encoding="utf-8"):
        ln = ln.rstrip("\n")
        if not ln.strip(): continue
        intent, lang, slots, text = ln.split("|", 3)
        sl = {}
        if slots:
            for kv in slots.split(","):
                k, v = kv.split("=", 1); sl[KEYS[k]] = v
        rows.append({"text": text, "lang": lang, "intent": intent, "slots": sl})
with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f:
    for r in rows: f.write(json.dumps(r, ensure_ascii=False) + "\n")
sys.path.insert(0, HERE)
from dialogues_src import D
with open(os.path.join(OUT, "dialogues.jsonl"), "w", encoding="utf-8") as f:
    for i, (lang, turns, goal) in enumerate(D, 1):
        f.write(json.dumps({"id": f"d{i:03d}", "lang": lang, "turns": turns, "goal": goal}, ensure_ascii=False) + "\n")
print(len(rows), "messages,", len(D), "dialogues")
