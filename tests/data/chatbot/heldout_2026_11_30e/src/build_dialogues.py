#!/usr/bin/env python3
"""Serialise src/dialogues_src.py (hand-written) to dialogues.jsonl with ids e001..."""
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__)); sys.path.insert(0, here)
from dialogues_src import D
with open(os.path.join(os.path.dirname(here), 'dialogues.jsonl'), 'w', encoding='utf-8') as f:
    for i, (lang, turns, goal) in enumerate(D, 1):
        f.write(json.dumps({'id': f'e{i:03d}', 'lang': lang, 'turns': turns, 'goal': goal}, ensure_ascii=False) + '\n')
print(len(D), 'dialogues')
