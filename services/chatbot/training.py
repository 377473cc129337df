"""The chatbot's training set, written as templates and expanded deterministically.

Each intent has Romanian and English templates; ``{street}``, ``{n}``, ``{id}``, ``{line}``,
``{stop}``, ``{permit_id}`` and the category/tax/permit phrases are filled from small
vocabularies (real Brașov street and stop names are not needed to learn intents: fillers are
generic on purpose, so the model learns the wording, not the places). Every example is then
varied the way citizens write: diacritics dropped, lower case, abbreviations (``str.``, ``bd.``,
``nr.``, ``pt``), SMS spelling, a typo. :func:`examples` returns ``(text, intent, lang)`` rows;
the same seed gives the same rows.

The **held-out** evaluation file (``data/heldout.jsonl``) is written separately, by hand, and is
never used for training or tuning.
"""
from __future__ import annotations

import random

from twin.text import strip_diacritics

INTENTS = ("greeting", "goodbye", "thanks", "report_issue", "request_status", "pay_tax", "tax_info",
           "permit_apply", "permit_verify", "transport_schedule", "office_info", "documents_info", "emergency",
           "human_agent", "feedback", "out_of_scope")

STREETS = ["Strada Florilor", "strada Principală", "Bulevardul Unirii", "Calea Nouă", "Aleea Teilor", "str. Morii",
           "bd. Libertății", "Piața Sfatului", "strada Zorilor", "Strada Lalelelor", "Calea Mare", "strada Bisericii"]
THINGS = ["o pizza", "un telefon nou", "un laptop", "o cafea", "un bilet la concert", "o bicicletă", "a pizza",
          "a new phone", "a laptop", "a coffee", "concert tickets", "a bike", "o vacanță", "a holiday", "un câine"]
STOPS = ["Piața Unirii", "Gara Mare", "Spitalul Județean", "Centrul Civic", "Triaj", "Stadionul Municipal",
         "Bariera", "Universitate", "Parcul Central", "Roman"]

CATEGORY_RO = {
    "pothole": ["o groapă", "gropi în asfalt", "asfaltul e spart", "o gaură mare în drum", "trotuarul e rupt",
                "pavajul e distrus", "drumul e plin de gropi"],
    "streetlight": ["un stâlp de iluminat stins", "becul de pe stradă nu merge", "iluminatul public nu funcționează",
                    "e beznă, nu ard felinarele", "lampa stradală pâlpâie"],
    "garbage": ["gunoaie pe jos", "containerul de gunoi e plin", "nu s-a ridicat gunoiul", "deșeuri aruncate",
                "moloz aruncat ilegal", "saci de gunoi lăsați pe trotuar"],
    "illegal_parking": ["o mașină parcată pe trotuar", "mașini parcate neregulamentar", "cineva a parcat pe locul de "
                        "handicap", "o mașină blochează intrarea", "parcare ilegală"],
    "green_space": ["iarba netunsă în parc", "un copac căzut", "crengi rupte în parc", "spațiul verde e neîngrijit",
                    "banca din parc e ruptă"],
    "road_sign": ["un indicator rutier căzut", "semaforul nu merge", "marcajul pietonal s-a șters",
                  "indicatorul de stop lipsește"],
    "water_sewer": ["o țeavă spartă", "curge apă pe stradă", "canalul e înfundat", "capacul de canal lipsește",
                    "miroase a canalizare"],
    "noise": ["gălăgie noaptea", "muzică tare la vecini", "zgomot de la un bar", "lucrări zgomotoase noaptea"],
    "illegal_construction": ["o construcție fără autorizație", "lucrări ilegale", "un șantier neautorizat",
                             "cineva ridică un gard ilegal"],
    "public_transport": ["stația de autobuz e distrusă", "autobuzul nu a oprit în stație", "refugiul din stație e spart",
                         "autobuzele întârzie mereu"],
}
CATEGORY_EN = {
    "pothole": ["a pothole", "a big hole in the road", "broken asphalt", "a damaged sidewalk", "cracked pavement"],
    "streetlight": ["a broken street light", "the lamp post is out", "street lights not working",
                    "a flickering streetlamp"],
    "garbage": ["rubbish on the ground", "an overflowing bin", "garbage that was not collected", "illegal dumping",
                "trash bags left on the pavement"],
    "illegal_parking": ["a car parked on the pavement", "illegal parking", "a car blocking my driveway",
                        "someone parked in a disabled spot"],
    "green_space": ["uncut grass in the park", "a fallen tree", "broken branches in the park", "a neglected green area"],
    "road_sign": ["a fallen road sign", "a broken traffic light", "faded zebra crossing", "a missing stop sign"],
    "water_sewer": ["a burst pipe", "water flooding the street", "a blocked drain", "a missing manhole cover",
                    "sewage smell"],
    "noise": ["noise at night", "loud music from the neighbours", "a noisy bar", "construction noise at night"],
    "illegal_construction": ["a building without a permit", "illegal construction works", "an unauthorised building site"],
    "public_transport": ["a damaged bus stop", "the bus did not stop", "a broken bus shelter", "buses always late"],
}
TAX_RO = {"property": ["impozitul pe clădire", "impozitul pe casă", "impozitul pe apartament", "taxa pe proprietate"],
          "land": ["impozitul pe teren", "taxa pe teren", "impozitul pentru teren"],
          "vehicle": ["impozitul pe mașină", "taxa auto", "impozitul pe autoturism", "impozitul pe vehicul"]}
TAX_EN = {"property": ["property tax", "building tax", "house tax", "tax on my flat"],
          "land": ["land tax", "tax on my land", "plot tax"],
          "vehicle": ["car tax", "vehicle tax", "road tax for my car"]}
PERMIT_RO = {"building": ["autorizație de construire", "autorizația de construcție", "autorizatie de constructie"],
             "urbanism_certificate": ["certificat de urbanism", "certificatul de urbanism"],
             "residential_parking": ["abonament de parcare rezidențială", "parcare de reședință",
                                     "loc de parcare rezidențial"]}
PERMIT_EN = {"building": ["building permit", "construction permit"],
             "urbanism_certificate": ["urbanism certificate", "planning certificate"],
             "residential_parking": ["residential parking permit", "resident parking pass"]}

T = {
    "greeting": {"ro": ["bună ziua", "salut", "bună", "hei", "bună dimineața", "bună seara", "salutare",
                        "bună ziua, am nevoie de ajutor", "alo", "servus", "salut, ești acolo?", "bună, o întrebare"],
                 "en": ["hello", "hi", "hey", "good afternoon", "good evening", "hi there", "hello, I need help",
                        "hey, are you there?", "greetings", "morning"]},
    "goodbye": {"ro": ["la revedere", "pa", "o zi bună", "pe curând", "gata, mulțumesc, pa", "numai bine",
                       "am terminat", "noapte bună", "ne auzim"],
                "en": ["goodbye", "bye bye", "see you", "have a good day", "I'm done", "that is all, bye",
                       "talk later", "good night"]},
    "thanks": {"ro": ["mulțumesc", "mersi", "mulțumesc mult", "vă mulțumesc", "mersi frumos", "mulțumiri",
                      "sărut mâna pentru ajutor", "mulțumesc, m-ați ajutat"],
               "en": ["thank you", "thanks", "thanks so much", "many thanks", "thank you very much", "much appreciated",
                      "thanks for the help"]},
    "report_issue": {"ro": ["vreau să raportez {cat} pe {street}", "este {cat} pe {street} nr {n}",
                            "am observat {cat} pe {street}", "semnalez {cat} în dreptul numărului {n} de pe {street}",
                            "pe {street} {n} e {cat}", "{cat} pe {street}, vă rog să interveniți",
                            "sesizare: {cat}, {street}", "de o săptămână e {cat} pe {street}",
                            "vreau să fac o reclamație", "doresc să semnalez o problemă", "am o problemă de raportat",
                            "e {cat} în fața blocului", "cine se ocupă de {cat}?"],
                     "en": ["I want to report {cat} on {street}", "there is {cat} at {n} {street}",
                            "please fix {cat} on {street}", "reporting {cat} near {street} {n}",
                            "{cat} on {street}", "I noticed {cat} on {street}", "I want to file a complaint",
                            "there's a problem in my street", "can someone fix {cat} outside my house"]},
    "request_status": {"ro": ["care este stadiul cererii {id}", "ce s-a întâmplat cu sesizarea {id}",
                              "s-a rezolvat sesizarea nr {id}?", "stadiu sesizare {id}", "verifică cererea #{id}",
                              "am depus sesizarea {id}, e gata?", "vreau să știu starea reclamației mele",
                              "când se rezolvă cererea mea?", "situația sesizării {id}", "cererea {id} e închisă?"],
                       "en": ["status of request {id}", "what happened to my report {id}", "is ticket #{id} closed",
                              "any news about request number {id}", "track my request", "where is my complaint at",
                              "has report {id} been resolved", "update on ticket {id}?"]},
    "pay_tax": {"ro": ["vreau să plătesc {tax}", "aș vrea să achit {tax}", "plătesc {tax} online",
                       "cum pot plăti {tax}", "doresc plata pentru {tax}", "achitare {tax}", "vreau să plătesc taxele",
                       "plată online impozite", "vreau să-mi plătesc datoriile la primărie", "să plătesc {tax} cu cardul"],
                "en": ["I want to pay {tax}", "pay my {tax}", "how can I pay the {tax} online", "I'd like to settle {tax}",
                       "pay taxes", "I want to pay what I owe the city", "pay {tax} by card"]},
    "tax_info": {"ro": ["care e termenul de plată pentru {tax}", "cât este {tax}", "cum se calculează {tax}",
                        "până când se plătește {tax}", "ce bonificație am dacă plătesc {tax} devreme",
                        "există reduceri la impozite", "cât plătesc pentru {tax} anul acesta",
                        "ce penalități sunt la întârziere", "care sunt scadențele la impozite",
                        "ce se întâmplă dacă plătesc {tax} cu întârziere", "cât costă {tax} pentru mine",
                        "până când trebuie să plătesc {tax}", "când trebuie plătit {tax}", "care e data limită la {tax}"],
                 "en": ["when is {tax} due", "how much is the {tax}", "how is {tax} calculated",
                        "is there a discount on {tax}", "what are the tax deadlines", "late payment penalties",
                        "how much will I owe for {tax} this year", "what happens if I pay {tax} late",
                        "what is the penalty for paying {tax} after the deadline", "when do I have to pay {tax}",
                        "by when must I pay {tax}", "what is the due date for {tax}"]},
    "permit_apply": {"ro": ["vreau să solicit {permit}", "cum fac cerere pentru {permit}", "aș vrea {permit}",
                            "depun cerere de {permit}", "am nevoie de {permit}", "vreau să obțin {permit}",
                            "unde se cere {permit}", "doresc să aplic pentru o autorizație"],
                     "en": ["I want to apply for a {permit}", "how do I get a {permit}", "request a {permit}",
                            "I need a {permit}", "start an application for a {permit}", "apply for a permit"]},
    "permit_verify": {"ro": ["verifică autorizația {permit_id}", "e valabil {permit_id}?",
                             "vreau să verific autorizația {permit_id}", "este autentică autorizația {permit_id}",
                             "validitate {permit_id}", "e reală autorizația vecinului?",
                             "verificare autorizație", "autorizația {permit_id} mai e valabilă?"],
                      "en": ["verify permit {permit_id}", "is {permit_id} valid", "check permit {permit_id}",
                             "is this permit genuine", "validate permit number {permit_id}", "verify a permit"]},
    "transport_schedule": {"ro": ["când vine linia {line}", "la ce oră trece autobuzul {line} prin {stop}",
                                  "următorul autobuz din stația {stop}", "program linia {line}",
                                  "orar autobuz {line} {stop}", "ce autobuz prind de la {stop}",
                                  "mersul autobuzelor din {stop}", "când pleacă {line} de la {stop}",
                                  "cum ajung cu autobuzul în centru", "ce autobuze circulă acum"],
                           "en": ["when does bus {line} come", "next bus from {stop}", "timetable of line {line}",
                                  "what time does line {line} leave {stop}", "departures from {stop}",
                                  "bus schedule {line}", "how do I get to the centre by bus", "which buses stop at {stop}"]},
    "office_info": {"ro": ["care este programul cu publicul", "unde este primăria", "la ce oră se deschide ghișeul",
                           "ce program are serviciul de taxe", "adresa primăriei", "număr de telefon primărie",
                           "e deschis sâmbăta?", "unde găsesc biroul de urbanism", "program registratură",
                           "la ce etaj e serviciul de taxe"],
                    "en": ["what are your opening hours", "where is the city hall", "when does the office open",
                           "address of the town hall", "phone number of the city hall", "are you open on saturday",
                           "where is the planning office", "office hours of the tax department"]},
    "documents_info": {"ro": ["ce acte trebuie pentru {permit}", "ce documente sunt necesare pentru {permit}",
                              "ce îmi trebuie ca să obțin {permit}", "lista actelor pentru {permit}",
                              "ce acte trebuie să aduc", "de ce documente am nevoie", "ce dosar trebuie depus",
                              "acte necesare pentru {permit}"],
                       "en": ["what documents do I need for a {permit}", "required papers for a {permit}",
                              "what should I bring for a {permit}", "which documents are required",
                              "document checklist", "what paperwork is needed"]},
    "emergency": {"ro": ["ajutor, e un incendiu", "arde casa vecinului", "a avut loc un accident", "cineva e rănit grav",
                         "un om a căzut și nu se mișcă", "miroase a gaz", "e un accident pe {street}",
                         "urgență, cineva nu respiră", "a explodat ceva", "s-a răsturnat o mașină, sunt răniți",
                         "mă doare pieptul foarte tare", "sângerează mult"],
                  "en": ["help, there is a fire", "there was an accident", "someone is badly hurt",
                         "a person collapsed", "I smell gas", "emergency, someone is not breathing",
                         "car accident on {street}", "something exploded", "my chest hurts badly", "he is bleeding a lot"]},
    "human_agent": {"ro": ["vreau să vorbesc cu un operator", "un om, vă rog", "legați-mă la o persoană",
                           "nu vreau robot", "vreau să vorbesc cu cineva de la primărie", "transfer la un angajat",
                           "pot vorbi cu un consilier?", "operator uman"],
                    "en": ["talk to a human", "I want an operator", "connect me to a person", "no bot please",
                           "can I speak to someone", "human agent", "transfer me to staff"]},
    "feedback": {"ro": ["vreau să dau feedback", "sunt mulțumit de rezolvare", "nu sunt mulțumit de serviciu",
                        "felicitări echipei", "aplicația e greu de folosit", "dau nota {n} serviciului",
                        "am o sugestie pentru primărie", "rezolvarea a durat prea mult", "excelent, foarte rapid",
                        "sunteți foarte de ajutor", "bravo, treabă bună", "serviciul e prea lent",
                        "angajații au fost amabili", "sunt dezamăgit de răspuns", "nota mea este {n}"],
                 "en": ["I want to give feedback", "I am happy with the service", "I'm not satisfied",
                        "well done to the team", "the app is hard to use", "I rate it {n} out of 5",
                        "I have a suggestion", "it took too long to fix", "excellent, very fast",
                        "you are very helpful", "the service is too slow", "staff were friendly",
                        "I'm disappointed with the answer", "good work", "bad experience with the city hall"]},
    "out_of_scope": {"ro": ["cât e ceasul", "ce film rulează la cinema", "cine e cel mai bun fotbalist",
                            "cum gătesc ciorbă", "vreau să cumpăr un telefon", "ce zodie sunt",
                            "unde e cel mai bun restaurant", "câte kilograme are un elefant", "cântă-mi ceva",
                            "ce părere ai despre politică", "cum se face o prăjitură", "care e capitala Franței",
                            "vreau să joc un joc", "ce meci e diseară", "cât costă {thing}", "unde cumpăr {thing}",
                            "îmi recomanzi {thing}?", "ce părere ai de {thing}", "poți să-mi comanzi {thing}",
                            "cine a inventat becul", "în ce an a fost Marea Unire", "cine a scris Amintiri din copilărie",
                            "câți ani are Pământul", "care e cel mai înalt munte din lume"],
                     "en": ["what time is it in Tokyo", "tell me a joke", "who is the best football player",
                            "how do I cook pasta", "recommend a phone", "what is my horoscope",
                            "best restaurant in town", "sing me a song", "what do you think about politics",
                            "what's the weather like", "play a game with me", "translate this to french",
                            "how tall is mount everest", "who won the match", "how much does {thing} cost",
                            "where can I buy {thing}", "do you like {thing}", "order {thing} for me",
                            "who invented the telephone", "who wrote Hamlet", "when did World War II end",
                            "how old is the universe", "what's the longest river"]},
}

ABBREV = [("strada ", "str. "), ("Strada ", "str "), ("bulevardul ", "bd. "), ("Bulevardul ", "bdul "),
          ("numărul ", "nr. "), ("nr ", "nr. "), ("pentru ", "pt "), ("vă rog", "vă rog"), ("să ", "sa "),
          ("și ", "si "), ("please", "pls"), ("you", "u")]


def noisy(text: str, rng: random.Random) -> str:
    """A citizen's way of writing ``text``."""
    t = text
    if rng.random() < 0.6:
        t = strip_diacritics(t)
    if rng.random() < 0.5:
        t = t.lower()
    for a, b in ABBREV:
        if a in t and rng.random() < 0.4:
            t = t.replace(a, b)
    if rng.random() < 0.25 and len(t) > 6:                 # a typo: swap, drop or double a letter
        i = rng.randrange(1, len(t) - 2)
        op = rng.randrange(3)
        t = t[:i] + t[i + 1] + t[i] + t[i + 2:] if op == 0 else (t[:i] + t[i + 1:] if op == 1 else t[:i] + t[i] + t[i:])
    if rng.random() < 0.2:
        t = t.rstrip("?.!") + rng.choice(["?", "!", "!!", " ??", ""])
    return t


def examples(per_template: int = 6, seed: int = 7, more: bool = True,
             residents: bool = False) -> list[tuple[str, str, str]]:
    """``(text, intent, lang)`` rows (see the module docstring).

    ``more=False`` gives only the first, narrow template set (kept to measure what the broader
    ones, :mod:`services.chatbot.phrasings`, :mod:`services.chatbot.scenes` and
    :mod:`services.chatbot.registers` and :mod:`services.chatbot.voices`, buy). ``residents``
    adds the messages of the five independent sets written by other hands (:func:`resident_rows`)."""
    rng = random.Random(seed)
    out = _first_templates(per_template, rng)
    if more:
        out += _more(per_template, rng)
        from services.chatbot import phrasings, registers, scenes, voices

        out += scenes.rows(rng, noisy)
        out += registers.rows(rng, noisy, phrasings.frame, phrasings)
        out += voices.rows(rng, noisy, phrasings.frame, phrasings)
    if residents:
        out += resident_rows()
    return out


def resident_rows(exclude: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """``(text, intent, lang)`` of the residents' messages in ``data/residents_ak.jsonl``: the eleven
    independent sets A–K (``tests/data/chatbot/heldout_2026_11_30{a,b,c,d,e}``,
    ``tests/data/chatbot/heldout_2026_12_01{f,g,h,i,j,k}``), each written by a separate writer and measured
    blind once, now development sets. ``exclude`` leaves sets out by
    their letter (``scripts/chatbot_loso.py`` leaves one out to measure honestly)."""
    import json
    from pathlib import Path

    path = Path(__file__).with_name("data") / "residents_ak.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["text"], r["intent"], r["lang"]) for r in rows if r["set"] not in exclude]


def _more(per_template: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """Rows from :mod:`services.chatbot.phrasings`: more templates, framed, entities in many formats."""
    from services.chatbot import phrasings as P

    out = []
    sets = [(intent, lang, tpls) for intent, by_lang in P.T2.items() for lang, tpls in by_lang.items()]
    sets += [(intent, lang, tpls) for intent, (lang, tpls) in P.MIXED.items()]
    for intent, lang, templates in sets:
        cats = CATEGORY_RO if lang == "ro" else CATEGORY_EN
        taxes = TAX_RO if lang == "ro" else TAX_EN
        permits = PERMIT_RO if lang == "ro" else PERMIT_EN
        for tpl in templates:
            for _ in range(per_template):
                text = tpl.format(
                    cat=rng.choice(rng.choice(list(cats.values()))), street=P.street_ref(rng), n=rng.randint(1, 5),
                    id=P.request_ref(rng), line=P.line_ref(rng), stop=rng.choice(P.STOP_NAMES + STOPS),
                    tax=rng.choice(rng.choice(list(taxes.values()))), district=rng.choice(P.DISTRICTS),
                    permit=rng.choice(rng.choice(list(permits.values()))), permit_id=P.permit_ref(rng))
                out.append((noisy(P.frame(text, lang, rng), rng), intent, lang))
    return out


def _first_templates(per_template: int, rng: random.Random) -> list[tuple[str, str, str]]:
    out = []
    for intent, by_lang in T.items():
        for lang, templates in by_lang.items():
            cats = CATEGORY_RO if lang == "ro" else CATEGORY_EN
            taxes = TAX_RO if lang == "ro" else TAX_EN
            permits = PERMIT_RO if lang == "ro" else PERMIT_EN
            for tpl in templates:
                for _ in range(per_template):
                    text = tpl.format(
                        cat=rng.choice(rng.choice(list(cats.values()))), street=rng.choice(STREETS),
                        n=rng.randint(1, 150), id=rng.randint(1, 99999), line=rng.choice(["1", "4", "5", "17B", "22", "35"]),
                        stop=rng.choice(STOPS), thing=rng.choice(THINGS), tax=rng.choice(rng.choice(list(taxes.values()))),
                        permit=rng.choice(rng.choice(list(permits.values()))),
                        permit_id=f"{rng.choice(['AC', 'CU', 'RP'])}-{rng.randint(2020, 2027)}-{rng.randint(1, 9999)}")
                    out.append((noisy(text, rng), intent, lang))
    return out
