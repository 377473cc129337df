#!/usr/bin/env python3
"""Serialise the hand-written sources in src/ into residents.jsonl, near_misses.txt and dialogues.jsonl.
No text is generated here: every message and turn is written by hand in src/. The only processing is
parsing the line format, expanding slot-key abbreviations, and a fixed-seed shuffle of message order."""
import json, os, random
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, 'src')
INTENTS = ['report_issue', 'emergency', 'transport_schedule', 'out_of_scope', 'tax_info', 'documents_info',
           'pay_tax', 'human_agent', 'feedback', 'request_status', 'permit_apply', 'office_info', 'thanks',
           'greeting', 'permit_verify', 'goodbye']
KEYS = {'c': 'category', 's': 'street', 'n': 'number', 't': 'tax_type', 'p': 'permit_type',
        'r': 'request_id', 'pid': 'permit_id', 'l': 'line', 'st': 'stop'}

def parse_slots(s):
    out = {}
    for part in filter(None, s.split(';')):
        k, v = part.split('=', 1)
        out[KEYS[k.strip()]] = v.strip()
    return out

def messages():
    for intent in INTENTS:
        for raw in open(os.path.join(SRC, intent + '.txt'), encoding='utf-8'):
            raw = raw.rstrip('\n')
            if not raw.strip() or raw.startswith('#'):
                continue
            lang, slots, text = raw.split('|', 2)
            near = lang.startswith('!')
            yield near, {'text': text.replace('\\n', '\n'), 'lang': lang.lstrip('!'), 'intent': intent,
                         'slots': parse_slots(slots)}

def dialogues():
    # src/dialogues.txt: blocks separated by blank lines; first line "id|lang|goal-json", then one turn per line
    block = []
    for raw in open(os.path.join(SRC, 'dialogues.txt'), encoding='utf-8').read().split('\n') + ['']:
        if raw.startswith('#'):
            continue
        if raw.strip():
            block.append(raw)
            continue
        if block:
            did, lang, goal = block[0].split('|', 2)
            yield {'id': did, 'lang': lang, 'turns': [t.replace('\\n', '\n') for t in block[1:]],
                   'goal': json.loads(goal)}
            block = []

if __name__ == '__main__':
    msgs = list(messages())
    random.Random(2026).shuffle(msgs)
    with open(os.path.join(HERE, 'residents.jsonl'), 'w', encoding='utf-8') as f:
        for _, m in msgs:
            f.write(json.dumps(m, ensure_ascii=False) + '\n')
    with open(os.path.join(HERE, 'near_misses.txt'), 'w', encoding='utf-8') as f:
        for i, (near, _) in enumerate(msgs, 1):
            if near:
                f.write(f'{i}\n')
    if os.path.exists(os.path.join(SRC, 'dialogues.txt')):
        with open(os.path.join(HERE, 'dialogues.jsonl'), 'w', encoding='utf-8') as f:
            for d in dialogues():
                f.write(json.dumps(d, ensure_ascii=False) + '\n')
    print(len(msgs), 'messages,', sum(n for n, _ in msgs), 'near-misses')
