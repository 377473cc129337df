#!/usr/bin/env python3
"""Parse the hand-written sources in src/ and write residents.jsonl, near_misses.txt, dialogues.jsonl.
No generation: every text is copied verbatim from the .txt sources; the only transformation is one
shuffle of the residents with a fixed seed."""
import json, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
KEYS = {"c": "category", "s": "street", "n": "number", "t": "tax_type", "p": "permit_type",
        "r": "request_id", "pid": "permit_id", "l": "line", "st": "stop"}
SOURCES = ["report_issue.txt", "emergency.txt", "transport_oos.txt", "others.txt"]

def parse_slots(s):
    out = {}
    for part in s.split(";"):
        part = part.strip()
        if not part:
            continue
        k, v = part.split("=", 1)
        out[KEYS.get(k.strip(), k.strip())] = v.strip()
    return out

items = []
for fn in SOURCES:
    intent = lang = None
    for raw in open(os.path.join(HERE, fn), encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("## "):
            intent, lang = line[3:].split()
            continue
        near = line.startswith("*")
        if near:
            line = line[1:]
        slots, text = line.split("||", 1)
        items.append(({"text": text.strip(), "lang": lang, "intent": intent, "slots": parse_slots(slots)}, near))

random.Random(20240611).shuffle(items)
with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f:
    for o, _ in items:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
with open(os.path.join(OUT, "near_misses.txt"), "w") as f:
    for i, (_, near) in enumerate(items, 1):
        if near:
            f.write(f"{i}\n")

# dialogues: "## j001 ro action k=v; k=v" then one "- turn" line per user turn
dls, cur = [], None
for raw in open(os.path.join(HERE, "dialogues.txt"), encoding="utf-8"):
    line = raw.rstrip("\n")
    if not line.strip():
        continue
    if line.startswith("## "):
        head = line[3:].split(" ", 3)
        goal = {"action": head[2]}
        if len(head) > 3:
            goal.update(parse_slots(head[3]))
        cur = {"id": head[0], "lang": head[1], "turns": [], "goal": goal}
        dls.append(cur)
    elif line.startswith("- "):
        cur["turns"].append(line[2:].strip())
with open(os.path.join(OUT, "dialogues.jsonl"), "w", encoding="utf-8") as f:
    for d in dls:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
print(len(items), "messages,", sum(n for _, n in items), "near-misses,", len(dls), "dialogues")
