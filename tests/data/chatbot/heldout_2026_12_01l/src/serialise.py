#!/usr/bin/env python3
"""Parse the hand-written sources in src/ and write residents.jsonl, near_misses.txt, dialogues.jsonl.
No generation: every line of the sources is one hand-written message / dialogue. The messages are shuffled
once with a fixed seed so intents are mixed; dialogues keep their written order and get ids l001...
Source format:  [!]intent|lang|k=v;k=v|text     ('!' marks a near-miss)
Dialogues:      lang|action=...;k=v|turn ## turn ## ..."""
import json, os, random
HERE = os.path.dirname(os.path.abspath(__file__)); OUT = os.path.dirname(HERE)
def slots(s):
    return dict(kv.split("=", 1) for kv in s.split(";")) if s.strip() else {}
msgs = []
for name in ("report_issue.txt", "emergency.txt", "transport.txt", "oos.txt", "admin.txt"):
    for line in open(os.path.join(HERE, name), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"): continue
        nm = line.startswith("!"); line = line.lstrip("!")
        intent, lang, sl, text = line.split("|", 3)
        msgs.append((nm, {"text": text.strip(), "lang": lang, "intent": intent, "slots": slots(sl)}))
random.Random(20250).shuffle(msgs)
with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f, \
     open(os.path.join(OUT, "near_misses.txt"), "w") as g:
    for i, (nm, o) in enumerate(msgs, 1):
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
        if nm: g.write(f"{i}\n")
n = 0
with open(os.path.join(OUT, "dialogues.jsonl"), "w", encoding="utf-8") as f:
    for line in open(os.path.join(HERE, "dialogues.txt"), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"): continue
        lang, goal, turns = line.split("|", 2); n += 1
        f.write(json.dumps({"id": f"l{n:03d}", "lang": lang, "turns": [t.strip() for t in turns.split("##")],
                            "goal": slots(goal)}, ensure_ascii=False) + "\n")
print(len(msgs), "messages,", n, "dialogues")
