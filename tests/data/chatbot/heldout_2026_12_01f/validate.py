#!/usr/bin/env python3
"""Validate heldout set F (stdlib only).

Usage: python3 validate.py [--data DIR]   (DIR defaults to ../shared/data relative to the project root,
i.e. /work/shared/data; override with --data or env SHARED_DATA)

Checks residents.jsonl, dialogues.jsonl and near_misses.txt in this directory:
  * every line is valid JSON with exactly the expected keys and types;
  * intents / languages / slot keys / slot values are in the allowed sets;
  * category is present on every report_issue and only there;
  * street values are names of highway ways in brasov_all_highways.osm.bz2 (comma-below ș/ț);
  * line values are GTFS route_short_name, stop values are GTFS stop_name (brasov_ratbv_gtfs.zip);
  * request_id / permit_id appear verbatim in the text;
  * near-miss line numbers are valid and never point at an emergency;
  * dialogue goals have exactly the allowed shapes; filing/paying dialogues end with a confirmation.
Exit code 0 when there are no errors (warnings do not fail)."""
import bz2, csv, io, json, os, re, sys, zipfile, collections
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
INTENTS = {'report_issue', 'emergency', 'transport_schedule', 'out_of_scope', 'tax_info', 'documents_info',
           'pay_tax', 'human_agent', 'feedback', 'request_status', 'permit_apply', 'office_info', 'thanks',
           'greeting', 'permit_verify', 'goodbye'}
CATEGORIES = {'streetlight', 'pothole', 'garbage', 'illegal_parking', 'green_space', 'road_sign', 'water_sewer',
              'noise', 'public_transport', 'illegal_construction', 'other'}
SLOT_KEYS = {'category', 'street', 'number', 'tax_type', 'permit_type', 'request_id', 'permit_id', 'line', 'stop'}
TAX_TYPES = {'property', 'land', 'vehicle'}
PERMIT_TYPES = {'building', 'urbanism_certificate', 'residential_parking'}
TAX_INTENTS = {'tax_info', 'pay_tax', 'documents_info'}
CONFIRM = re.compile(r'\b(da|yes|confirm\w*|trimite\w*|go ahead|plătesc|plătește|file it|send it)\b', re.I)

errors, warnings = [], []
def err(msg): errors.append(msg)
def warn(msg): warnings.append(msg)

def data_dir():
    if '--data' in sys.argv:
        return sys.argv[sys.argv.index('--data') + 1]
    if os.environ.get('SHARED_DATA'):
        return os.environ['SHARED_DATA']
    for cand in (os.path.join(HERE, '..', 'shared', 'data'), '/work/shared/data'):
        if os.path.isdir(cand):
            return cand
    sys.exit('shared data directory not found; pass --data DIR')

def load_streets(d):
    names = set()
    path = os.path.join(d, 'osm', 'brasov_all_highways.osm.bz2')
    for _, el in ET.iterparse(bz2.open(path)):
        if el.tag == 'way':
            tags = {t.get('k'): t.get('v') for t in el.findall('tag')}
            if 'highway' in tags and tags.get('name'):
                names.add(tags['name'])
            el.clear()
        elif el.tag == 'node':
            el.clear()
    return names

def load_gtfs(d):
    z = zipfile.ZipFile(os.path.join(d, 'gtfs', 'brasov_ratbv_gtfs.zip'))
    rd = lambda n: csv.DictReader(io.TextIOWrapper(z.open(n), 'utf-8-sig'))
    return {r['route_short_name'] for r in rd('routes.txt')}, {s['stop_name'] for s in rd('stops.txt')}

def check_street(where, s, streets):
    if re.search('[şţŞŢ]', s):
        err(f'{where}: street {s!r} uses cedilla ş/ţ instead of comma-below ș/ț')
    if s not in streets:
        err(f'{where}: street {s!r} not found in OSM highway names')

def check_messages(streets, lines, stops):
    path = os.path.join(HERE, 'residents.jsonl')
    rows, texts = [], collections.Counter()
    for i, raw in enumerate(open(path, encoding='utf-8'), 1):
        w = f'residents.jsonl:{i}'
        try:
            m = json.loads(raw)
        except json.JSONDecodeError as e:
            err(f'{w}: invalid JSON ({e})'); rows.append(None); continue
        rows.append(m)
        if not isinstance(m, dict) or set(m) != {'text', 'lang', 'intent', 'slots'}:
            err(f'{w}: keys must be exactly text, lang, intent, slots'); continue
        text, lang, intent, slots = m['text'], m['lang'], m['intent'], m['slots']
        if not isinstance(text, str) or not text.strip():
            err(f'{w}: empty text')
        texts[text] += 1
        if lang not in ('ro', 'en'):
            err(f'{w}: bad lang {lang!r}')
        if intent not in INTENTS:
            err(f'{w}: bad intent {intent!r}')
        if not isinstance(slots, dict):
            err(f'{w}: slots must be an object'); continue
        for k, v in slots.items():
            if k not in SLOT_KEYS:
                err(f'{w}: slot key {k!r} not allowed')
            if not isinstance(v, str) or not v.strip() or v != v.strip():
                err(f'{w}: slot {k} must be a non-empty trimmed string')
        if (intent == 'report_issue') != ('category' in slots):
            err(f'{w}: category must be present exactly on report_issue')
        if 'category' in slots and slots['category'] not in CATEGORIES:
            err(f'{w}: bad category {slots["category"]!r}')
        if 'street' in slots:
            check_street(w, slots['street'], streets)
        if 'number' in slots and not re.fullmatch(r'\d{1,4}[A-Za-z]?', slots['number']):
            err(f'{w}: number {slots["number"]!r} is not a house number')
        if 'number' in slots and 'street' not in slots:
            warn(f'{w}: number without street')
        if 'tax_type' in slots:
            if slots['tax_type'] not in TAX_TYPES:
                err(f'{w}: bad tax_type {slots["tax_type"]!r}')
            if intent not in TAX_INTENTS:
                err(f'{w}: tax_type on intent {intent}')
        if 'permit_type' in slots and slots['permit_type'] not in PERMIT_TYPES:
            err(f'{w}: bad permit_type {slots["permit_type"]!r}')
        for k in ('request_id', 'permit_id'):
            if k in slots and slots[k] not in text:
                err(f'{w}: {k} {slots[k]!r} not written verbatim in the text')
        if 'request_id' in slots and intent != 'request_status':
            warn(f'{w}: request_id on {intent}')
        if 'permit_id' in slots and intent != 'permit_verify':
            warn(f'{w}: permit_id on {intent}')
        if intent == 'request_status' and 'request_id' not in slots:
            warn(f'{w}: request_status without request_id')
        if intent == 'permit_verify' and 'permit_id' not in slots:
            warn(f'{w}: permit_verify without permit_id')
        if 'line' in slots and slots['line'] not in lines:
            err(f'{w}: line {slots["line"]!r} not a GTFS route_short_name')
        if 'stop' in slots and slots['stop'] not in stops:
            err(f'{w}: stop {slots["stop"]!r} not a GTFS stop_name')
    for t, n in texts.items():
        if n > 1:
            err(f'residents.jsonl: duplicate text {t[:60]!r} x{n}')
    return rows

def check_near_misses(rows):
    path = os.path.join(HERE, 'near_misses.txt')
    seen = []
    for i, raw in enumerate(open(path, encoding='utf-8'), 1):
        raw = raw.strip()
        if not raw:
            continue
        if not raw.isdigit():
            err(f'near_misses.txt:{i}: not a line number: {raw!r}'); continue
        n = int(raw)
        if not 1 <= n <= len(rows) or rows[n - 1] is None:
            err(f'near_misses.txt:{i}: line {n} out of range'); continue
        if rows[n - 1]['intent'] == 'emergency':
            err(f'near_misses.txt:{i}: line {n} is labelled emergency')
        seen.append(n)
    if len(seen) != len(set(seen)):
        err('near_misses.txt: duplicate line numbers')
    if not 60 <= len(seen) <= 80:
        warn(f'near_misses.txt: {len(seen)} entries (aim 60-80)')
    return seen

GOALS = {
    'file_request': ({'action', 'category', 'street'}, set()),
    'pay_tax': ({'action', 'tax_type'}, set()),
    'request_status': ({'action', 'request_id'}, set()),
    'permit_verify': ({'action', 'permit_id'}, set()),
    'transport_schedule': ({'action'}, {'line', 'stop'}),
    'handoff': ({'action'}, set()),
    'emergency': ({'action'}, set()),
    'none': ({'action'}, set()),
}

def check_dialogues(streets, lines, stops):
    path = os.path.join(HERE, 'dialogues.jsonl')
    ids, actions = set(), collections.Counter()
    for i, raw in enumerate(open(path, encoding='utf-8'), 1):
        w = f'dialogues.jsonl:{i}'
        try:
            d = json.loads(raw)
        except json.JSONDecodeError as e:
            err(f'{w}: invalid JSON ({e})'); continue
        if set(d) != {'id', 'lang', 'turns', 'goal'}:
            err(f'{w}: keys must be exactly id, lang, turns, goal'); continue
        if not re.fullmatch(r'f\d{3}', str(d['id'])) or d['id'] in ids:
            err(f'{w}: bad or duplicate id {d["id"]!r}')
        ids.add(d['id'])
        if d['lang'] not in ('ro', 'en'):
            err(f'{w}: bad lang')
        t = d['turns']
        if not isinstance(t, list) or not 2 <= len(t) <= 6 or not all(isinstance(x, str) and x.strip() for x in t):
            err(f'{w}: turns must be 2-6 non-empty strings'); continue
        g = d['goal']
        a = g.get('action') if isinstance(g, dict) else None
        if a not in GOALS:
            err(f'{w}: bad goal action {a!r}'); continue
        actions[a] += 1
        req, opt = GOALS[a]
        if not req <= set(g) or not set(g) <= req | opt:
            err(f'{w}: goal keys {sorted(g)} do not match shape for {a}')
        if a == 'transport_schedule' and not ({'line', 'stop'} & set(g)):
            err(f'{w}: transport goal needs line and/or stop')
        if 'category' in g and g['category'] not in CATEGORIES:
            err(f'{w}: bad category')
        if 'street' in g:
            check_street(w, g['street'], streets)
        if 'tax_type' in g and g['tax_type'] not in TAX_TYPES:
            err(f'{w}: bad tax_type')
        if 'line' in g and g['line'] not in lines:
            err(f'{w}: line {g["line"]!r} not in GTFS')
        if 'stop' in g and g['stop'] not in stops:
            err(f'{w}: stop {g["stop"]!r} not in GTFS')
        for k in ('request_id', 'permit_id'):
            if k in g and not any(g[k] in x for x in t):
                err(f'{w}: {k} not written verbatim in any turn')
        if a in ('file_request', 'pay_tax') and not CONFIRM.search(t[-1]):
            err(f'{w}: {a} dialogue must end with an explicit confirmation')
    if len(ids) < 50:
        err(f'dialogues.jsonl: only {len(ids)} dialogues (need >= 50)')
    return actions

def main():
    d = data_dir()
    streets = load_streets(d)
    lines, stops = load_gtfs(d)
    rows = check_messages(streets, lines, stops)
    near = check_near_misses(rows)
    actions = check_dialogues(streets, lines, stops)
    good = [r for r in rows if r]
    if len(good) < 450:
        err(f'residents.jsonl: only {len(good)} messages (need >= 450)')
    per = collections.Counter((r['intent'], r['lang']) for r in good if isinstance(r, dict) and 'intent' in r)
    for it in sorted(INTENTS):
        for lg in ('ro', 'en'):
            if per[(it, lg)] == 0:
                err(f'intent {it} has no {lg} message')
    ro = sum(1 for r in good if r.get('lang') == 'ro')
    print(f'messages: {len(good)} (ro {ro}, en {len(good) - ro}); near-misses: {len(near)}; '
          f'dialogues: {sum(actions.values())} {dict(actions)}')
    for it in sorted(INTENTS, key=lambda x: -sum(per[(x, l)] for l in ('ro', 'en'))):
        print(f'  {it:20s} ro {per[(it, "ro")]:3d}  en {per[(it, "en")]:3d}')
    for w in warnings:
        print('WARNING', w)
    for e in errors:
        print('ERROR', e)
    print(f'{len(errors)} errors, {len(warnings)} warnings')
    sys.exit(1 if errors else 0)

if __name__ == '__main__':
    main()
