#!/usr/bin/env python3
"""Parse the hand-written sources in src/ and write residents.jsonl, near_misses.txt, dialogues.jsonl.
No generation: every message is one hand-written line; the only operation is a single shuffle (seed 20260)."""
import glob, json, os, random, re

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
LINE = re.compile(r"^(\*\s+)?(ro|en)\s+(\w+)\s+\{([^{}]*)\}\s+::\s+(.+?)\s*$")

def slots(s):
    d = {}
    for part in filter(None, (p.strip() for p in s.split(";"))):
        k, v = part.split("=", 1)
        assert k.strip() not in d, part
        d[k.strip()] = v.strip()
    return d

records = []
for path in sorted(glob.glob(os.path.join(HERE, "*.txt"))):
    if os.path.basename(path) == "dialogues.txt":
        continue
    for n, raw in enumerate(open(path, encoding="utf-8"), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            raise SystemExit(f"{path}:{n}: cannot parse: {raw!r}")
        nm, lang, intent, sl, text = m.groups()
        records.append((bool(nm), {"text": text, "lang": lang, "intent": intent, "slots": slots(sl)}))

random.Random(20260).shuffle(records)
with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f:
    for _, o in records:
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
with open(os.path.join(OUT, "near_misses.txt"), "w") as f:
    for i, (nm, _) in enumerate(records, 1):
        if nm:
            f.write(f"{i}\n")

dialogues, cur = [], None
for n, raw in enumerate(open(os.path.join(HERE, "dialogues.txt"), encoding="utf-8"), 1):
    line = raw.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    if line.startswith("@ "):
        head = line[2:].split(None, 3)
        did, lang, action = head[:3]
        goal = {"action": action, **slots(head[3] if len(head) > 3 else "")}
        cur = {"id": did, "lang": lang, "turns": [], "goal": goal}
        dialogues.append(cur)
    elif line.startswith("> "):
        cur["turns"].append(line[2:].strip())
    else:
        raise SystemExit(f"dialogues.txt:{n}: cannot parse: {line!r}")
with open(os.path.join(OUT, "dialogues.jsonl"), "w", encoding="utf-8") as f:
    for d in dialogues:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
print(f"{len(records)} messages, {sum(nm for nm, _ in records)} near-misses, {len(dialogues)} dialogues")
