"""Serialise the hand-written sources in src/ into the JSONL files (no generation, just parsing)."""
import json, random, os
HERE = os.path.dirname(os.path.abspath(__file__)); OUT = os.path.dirname(HERE)
rows = []
for fn, lang in [("ro_report.txt", "ro"), ("ro_emerg.txt", "ro"), ("ro_other.txt", "ro"),
                 ("en_report.txt", "en"), ("en_emerg.txt", "en"), ("en_other.txt", "en")]:
    for line in open(os.path.join(HERE, fn), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        near = line.startswith("*")
        intent, slots, text = line.lstrip("*").split("|", 2)
        sl = dict(kv.split("=", 1) for kv in slots.split(",")) if slots else {}
        rows.append((near, {"text": text, "lang": lang, "intent": intent, "slots": sl}))
random.Random(20261201).shuffle(rows)   # mix intents/languages; order is fixed
with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f:
    for _, r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(os.path.join(OUT, "near_misses.txt"), "w") as f:
    for i, (near, _) in enumerate(rows, 1):
        if near:
            f.write(f"{i}\n")
dl = []
for block in open(os.path.join(HERE, "dialogues.txt"), encoding="utf-8").read().strip().split("\n\n"):
    head, *turns = block.strip().split("\n")
    did, lang, goal = head.split("|", 2)
    dl.append({"id": did, "lang": lang, "turns": turns, "goal": json.loads(goal)})
with open(os.path.join(OUT, "dialogues.jsonl"), "w", encoding="utf-8") as f:
    for d in dl:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
print(len(rows), "messages,", sum(n for n, _ in rows), "near-misses,", len(dl), "dialogues")
