#!/usr/bin/env python3
"""Parse the hand-written sources in src/ and write the deliverables. No generation:
every message and dialogue is written out literally in the .txt sources; this only parses them
and shuffles the messages once with a fixed seed."""
import json, os, random
HERE = os.path.dirname(os.path.abspath(__file__)); OUT = os.path.dirname(HERE)

def slots(s):
    d = {}
    for part in filter(None, (x.strip() for x in s.split(";"))):
        k, v = part.split("=", 1); d[k.strip()] = v.strip()
    return d

items = []
for name in ("residents_a.txt", "residents_b.txt", "residents_c.txt"):
    intent = None
    for raw in open(os.path.join(HERE, name), encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith("# intent:"): intent = line.split(":", 1)[1].strip(); continue
        if not line.strip() or line.startswith("#"): continue
        lang, flag, text, sl = line.split("|")
        items.append(({"text": text, "lang": lang, "intent": intent, "slots": slots(sl)}, flag == "nm"))
random.Random(20250301).shuffle(items)
with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f:
    for o, _ in items: f.write(json.dumps(o, ensure_ascii=False) + "\n")
with open(os.path.join(OUT, "near_misses.txt"), "w") as f:
    for i, (_, nm) in enumerate(items, 1):
        if nm: f.write(f"{i}\n")

dls, cur = [], None
for raw in open(os.path.join(HERE, "dialogues.txt"), encoding="utf-8"):
    line = raw.rstrip("\n")
    if line.startswith("@ "):
        parts = line[2:].split(" ", 2)
        goal = {"action": parts[1]}; goal.update(slots(parts[2]) if len(parts) > 2 else {})
        cur = {"lang": parts[0], "turns": [], "goal": goal}; dls.append(cur)
    elif line.startswith("> "): cur["turns"].append(line[2:].strip())
random.Random(20250302).shuffle(dls)
with open(os.path.join(OUT, "dialogues.jsonl"), "w", encoding="utf-8") as f:
    for n, d in enumerate(dls, 1):
        f.write(json.dumps({"id": f"k{n:03d}", "lang": d["lang"], "turns": d["turns"], "goal": d["goal"]},
                           ensure_ascii=False) + "\n")
