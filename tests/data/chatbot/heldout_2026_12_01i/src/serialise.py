#!/usr/bin/env python3
"""Parse the hand-written source files in src/ and write residents.jsonl, near_misses.txt and
dialogues.jsonl. It only parses and shuffles once with a fixed seed; it generates nothing.

Message line format:  [!]INTENT LANG SLOTS :: text
  '!' marks a near-miss; SLOTS is '-' or k=v;k=v (short keys below).
Dialogue format (dialogues.txt): 'D <id> <lang> <action> <k=v;...|->' then one '> turn' per line."""
import json, os, random, re
HERE = os.path.dirname(os.path.abspath(__file__)); OUT = os.path.dirname(HERE)
INT = {"ri": "report_issue", "em": "emergency", "ts": "transport_schedule", "oos": "out_of_scope",
       "ti": "tax_info", "pt": "pay_tax", "di": "documents_info", "ha": "human_agent", "fb": "feedback",
       "rs": "request_status", "pa": "permit_apply", "pv": "permit_verify", "oi": "office_info",
       "th": "thanks", "gr": "greeting", "gb": "goodbye"}
KEY = {"c": "category", "s": "street", "n": "number", "tt": "tax_type", "pm": "permit_type",
       "rid": "request_id", "pid": "permit_id", "l": "line", "st": "stop"}

def slots(s):
    if s == "-": return {}
    out = {}
    for kv in s.split(";"):
        k, v = kv.split("=", 1)
        out[KEY.get(k, k)] = v.strip()
    return out

msgs = []
for fn in sorted(os.listdir(HERE)):
    if not (fn.startswith("r") and fn.endswith(".txt")): continue
    for ln in open(os.path.join(HERE, fn), encoding="utf-8"):
        ln = ln.rstrip("\n")
        if not ln.strip() or ln.startswith("#"): continue
        head, text = ln.split(" :: ", 1)
        nm = head.startswith("!")
        it, lang, sl = head.lstrip("!").split(" ", 2)
        msgs.append(({"text": text.strip(), "lang": lang, "intent": INT[it], "slots": slots(sl)}, nm))

random.Random(20240917).shuffle(msgs)
with open(os.path.join(OUT, "residents.jsonl"), "w", encoding="utf-8") as f:
    for o, _ in msgs: f.write(json.dumps(o, ensure_ascii=False) + "\n")
with open(os.path.join(OUT, "near_misses.txt"), "w") as f:
    for i, (_, nm) in enumerate(msgs, 1):
        if nm: f.write(f"{i}\n")

dl, cur = [], None
for ln in open(os.path.join(HERE, "dialogues.txt"), encoding="utf-8"):
    ln = ln.rstrip("\n")
    if ln.startswith("D "):
        parts = ln.split(" ", 4)
        _, did, lang, action = parts[:4]
        sl = parts[4] if len(parts) > 4 else "-"
        cur = {"id": did, "lang": lang, "turns": [], "goal": {"action": action, **slots(sl)}}
        dl.append(cur)
    elif ln.startswith("> "):
        cur["turns"].append(ln[2:].strip())
with open(os.path.join(OUT, "dialogues.jsonl"), "w", encoding="utf-8") as f:
    for d in dl: f.write(json.dumps(d, ensure_ascii=False) + "\n")
print(len(msgs), "messages,", sum(n for _, n in msgs), "near-misses,", len(dl), "dialogues")
