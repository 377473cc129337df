#!/usr/bin/env python3
"""Serialise the hand-written lines in src/r_*.txt into residents.jsonl.
Each source line is one message written by hand: lang|intent[!]|k=v;k=v|text
('!' after the intent marks a near-miss; the list goes to residents_near_misses.txt).
No text is generated here: this only converts the format."""
import json, glob, os
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
rows, nm = [], []
for p in sorted(glob.glob(os.path.join(here, 'r_*.txt'))):
    for ln in open(p, encoding='utf-8'):
        ln = ln.rstrip('\n')
        if not ln.strip() or ln.startswith('#'):
            continue
        lang, intent, slots, text = ln.split('|', 3)
        near = intent.endswith('!')
        intent = intent.rstrip('!')
        sl = {}
        if slots:
            for kv in slots.split(';'):
                k, v = kv.split('=', 1)
                sl[k] = v
        rows.append({'text': text.strip(), 'lang': lang, 'intent': intent, 'slots': sl})
        if near:
            nm.append(len(rows))
with open(os.path.join(root, 'residents.jsonl'), 'w', encoding='utf-8') as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + '\n')
with open(os.path.join(root, 'residents_near_misses.txt'), 'w', encoding='utf-8') as f:
    f.write('# 1-based line numbers in residents.jsonl of the near-misses (alarming-sounding, not an emergency now)\n')
    for i in nm:
        f.write(f'{i}\n')
print(len(rows), 'messages,', len(nm), 'near-misses')
