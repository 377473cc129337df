"""Assemble residents.jsonl from the hand-written message files in src/data/*.txt.

Each data line: `lang | intent | slots | text` where slots is `k=v; k=v` (may be empty).
A near-miss (non-emergency message that sounds like one) is marked either with the
pseudo-slot `_nm=1` or with a trailing ` _nm` on the text; the marker is stripped and
the 1-based line numbers of near-misses in residents.jsonl are written to near_misses.txt.
Dialogues are hand-written directly in src/dialogues_src.py and dumped by it.
"""
import glob, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

rows, nm = [], []
for path in sorted(glob.glob(os.path.join(HERE, "data", "*.txt"))):
    for ln, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(" | ", 3)
        assert len(parts) == 4, f"{path}:{ln}: {line}"
        lang, intent, slots_s, text = (p.strip() for p in parts)
        slots, near = {}, False
        for kv in filter(None, (s.strip() for s in slots_s.split(";"))):
            k, v = kv.split("=", 1)
            if k.strip() == "_nm":
                near = True
                continue
            slots[k.strip()] = v.strip()
        if text.endswith(" _nm"):
            text, near = text[:-4].rstrip(), True
        rows.append({"text": text, "lang": lang, "intent": intent, "slots": slots})
        if near:
            nm.append(len(rows))

with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(os.path.join(OUT, "near_misses.txt"), "w", encoding="utf-8") as f:
    f.write("# 1-based line numbers in residents.jsonl of emergency near-misses (labelled with their real, non-emergency intent)\n")
    for i in nm:
        f.write(f"{i}\n")
print(len(rows), "messages,", len(nm), "near-misses")
