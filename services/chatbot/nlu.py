"""Understanding a citizen's message: language, intent (with a confidence) and slots.

**Intent** — a scikit-learn pipeline trained on :mod:`services.chatbot.training` (the generated
templates and the residents' own messages of sets A–E): TF-IDF of
character n-grams (2–5, within words, on the folded text: lower case, no diacritics, so
"sesizare", "sesizăre" and "sesizre" look alike) and of word uni/bigrams, into a logistic
regression. Its probability is the confidence; :class:`Understanding` below the threshold makes
the dialogue ask rather than guess. The model is trained once and cached (pickle, keyed by the
training set's hash) in the twin's cache folder. **Emergencies** are caught first, by
:mod:`services.chatbot.emergency` (rules built for recall), whose clear alarm wins over the
model; an ambiguous alarm rides along in :attr:`Understanding.alarm` so the reply can give 112
guidance *and* the normal answer.

**Slots** — rules, because ids and numbers are exact: ``request_id``, ``permit_id``, ``number``,
``line``; keyword tables for ``category``, ``tax_type``, ``permit_type``; and fuzzy matching
(rapidfuzz) against the city's **real street names** (``street``: "str mihai viteazu" →
"Strada Mihai Viteazul") and the GTFS **stop names** (``stop``).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from services.chatbot.emergency import CALM, NEGATE, PEOPLE, UNMISTAKABLE, URGENT, Alarm
from services.chatbot.emergency import detect as detect_emergency
from services.chatbot.emergency import frame as emergency_frame
from services.chatbot import journeys as J
from services.chatbot import references as R
from services.chatbot.training import INTENTS, examples
from twin.text import NOT_A_STREET, fold_text, fold_words, street_words

CATEGORIES = ("streetlight", "pothole", "garbage", "illegal_parking", "green_space", "road_sign", "water_sewer",
              "noise", "illegal_construction", "public_transport", "other")
TAX_TYPES = ("property", "land", "vehicle")
PERMIT_TYPES = ("building", "urbanism_certificate", "residential_parking")

# first match wins: the order settles overlaps ("bus stop" is transport, "car blocking the
# sidewalk" is parking, not a pothole)
CATEGORY_RULES = [
    # (twelfth round) trees nobody waters are the green spaces' ("nobody waters them": no water main)
    ("green_space", r"\b(?:nobody|no one|nu (?:le )?(?:mai )?)(?: \w+)? (?:waters?|uda|ud[aă]) (?:them|the (?:trees|plants|flowers)|copacii|florile|pomii)?|"
                    r"\b(?:trees?|copac\w*|arbori\w*|puiet\w*|pomi\w*|flori\w*|gazon\w*)\b(?: [\w'-]+){0,4} (?:are |is )?(?:dying|dried|s-au uscat|se usuca|mor)\b"),
    # (issue 15) a leak is the water network's even when what it leaves is ice on the pavement
    ("water_sewer", r"hidrant\w*|hydrant|gratar\w* (?:de la |de |al )?canal\w*|lipse\w* (?:un |o )?capac\w*|missing (?:manhole )?cover|teav\w* spart\w*|burst pipe|(?:curge|se scurge|iese|picura) apa|water (?:is )?(?:leaking|pouring|gushing)"),
    # a rubbish dump is rubbish, not a pothole ("groapă de gunoi"), and what the refuse firm left
    ("garbage", r"groap\w* (?:de|cu) gunoi|rubbish dump|garbage dump|illegal dump\w*|seringi|syringes|butelii|"
                r"selectiv\w*|menajer\w*|salubritate|bags of rubbish|rubbish bags"),
    # things the other categories do not cover, named precisely (ice and snow left on a pavement,
    # graffiti, a telecom cable): before the rest, whose words they contain ("trotuar", "cablu")
    ("other", r"graffiti|grafitti|\bpolei\b|gheata pe trotuar|nu (?:a )?(?:curatat|dat|deszapezit)\w* (?:nimeni|zapada)|"
              r"deszapez\w*|sa sarati|presarat\w* (?:cu )?sare|not (?:gritted|salted|cleared of snow)|icy (?:pavement|sidewalk|footpath)|"
              r"cablu\w* (?:vechi )?(?:de |pentru )?(?:internet|tv|televiziune|telefon\w*)|(?:internet|tv|telephone|phone) cables?|"
              # (third round) packs of stray dogs, rats, broken railings, public toilets, a burnt wreck
              r"haita|caini (?:comunitari|fara stapan|vagabonzi)|stray dogs|pack of (?:stray )?dogs|balustrad\w*|\brailings?\b|toalet\w* publice|public toilets?|"
              r"masin\w* (?:\w+ )?arsa|burnt(?:-out)? (?:car|wreck)|carcasa|porumbei morti|dead pigeons?|"
              # a dead animal by the road is the city's to take away, not rubbish (sets A and E)
              r"(?:caine|catel|pisica|animal|vulpe|caprior|pasare|porumbel|sobolan)\w* (?:\w+ )?(?:mort|moarta|morti|moarte)\b|"
              r"\bdead (?:dog|cat|animal|rat|bird|fox|deer|badger|hedgehog|pigeon)s?\b|cadavr\w*|"
              # (issue 15) ice on a footbridge or the pavements, a wasp nest, an electrical box, a bear
              # at the bins: no other category owns them
              r"\b(?:pure|sheet of|covered in) ice\b|\bice on the\b|skating rink|gheata pe (?:toate )?(?:trotuar|pod|pasarel)\w*|"
              r"\b(?:e|numai|doar|tot|plin\w* de|acoperit\w* de|sub) gheata\b|cuib\w* de (?:viespi|albine)|wasps?'? nest|viespar\w*|"
              r"cuti\w* (?:electric\w*|de curent)|firid\w*|electrical (?:box|cabinet)|\bursu?l?\b|\bbears?\b|\bursoaic\w*"),
    ("illegal_construction", r"fara (?:nicio |vreo )?autoriza|fundati|construieste|construiesc|santier\w* (?:ilegal|neautoriz|fara)|constructi[ea] (ilegal|fara|neautoriz)|"
                             r"lucrari (ilegal|neautoriz)|without a permit|illegal construction|unauthori[sz]ed (build|constr)|"
                             r"building without|gard ilegal|fara (?:nicio |vreo )?(?:hartie|aprobare|acte)|no permit|"
                             r"toarna (?:beton|fundatie)|ridica (?:o casa|un bloc|un etaj|o anexa)|etaj in plus|"
                             r"putting up (?:a|an)|storey|extra floor|pouring concrete|demoleaza fara|"
                             r"perete\w* de rezistenta|(?:load-?)?bearing wall|fatad\w*|facade|casa monument|"
                             r"(?:a |si-a |si a )?inchis balconul|enclosed (?:the |a |his |her )?balcony|property line|"
                             r"permanent structure|structur\w* permanent\w*|se ridica o constructi\w*|ridica\w* o constructi\w*|"
                             r"(?:built|a construit|construit) (?:\w+ ){0,2}(?:a garage|un garaj)|"
                             # (issue 15) something built on public land or where no one may build
                             r"domeniul public|public (?:land|domain)|"
                             r"(?:ocupat|ingradit|inchis)\w* cu (?:un )?gard|(?:fence|wall) (?:has been |was )?built|"
                             r"built a (?:permanent|new|wooden|concrete)|building (?:a|an) (?:\w+ )?(?:floor|storey|extension)|"
                             r"extension into|si-a facut (?:un |o )?(?:garaj|gard|anexa|magazie|terasa)"),
    # (issue 15) a building or wall falling apart, not built without a permit (that is the rule
    # above): a ruin, a cracked or retaining wall, crumbling plaster or balconies, scaffolding left
    # behind, posters and tags
    ("other", r"\bruin\w*|zid\w* de sprijin|zidul cladirii|(?:stone|retaining) wall|\bzid\w* (?:\w+ ){0,4}(?:crapatur|fisur)\w*|"
              r"tencuial\w*|\bplaster\b|balcoan\w*|balconul unui|schel\w*|scaffold\w*|\bafise\b|afis\w* lipit\w*|"
              r"spray-?paint\w*|\btags\b"),
    # sounds the later categories' words would claim (a rattling drain cover is noise, not a drain)
    ("noise", r"rattl\w*|zdrangan\w*|clank\w*|toba scoasa|tobe scoase|esapament\w*|racing at night|curse (?:de )?noaptea|"
              # (issue 15) machines and sounds that keep people awake, in general words
              r"buldozer\w*|bulldozer\w*|betonier\w*|compresor\w*|compressor\w*|drujb\w*|chainsaw|sound system|"
              r"\bbarks?\b|bat\w* in pereti|bocane\w*|ringing (?:for|non|all)|suna (?:de|non|continuu|toata)|"
              r"nu (?:mai )?(?:putem|pot|poate|pot sa|poate sa) (?:sa )?dorm\w*|nu (?:mai )?dorm\b"),
    # a fallen tree or branch is the green space's, whatever it fell on (a parked car, the road)
    ("green_space", r"(?:copac|pom|creanga|craca|crengi|branch|tree)\w* (?:\w+ ){0,4}(?:cazut|prabusit|s-a prabusit|s-a rupt|fell|fallen|down\b|blocking|blocheaza)|"
                    r"(?:cazut|fell|fallen|prabusit) (?:\w+ ){0,3}(?:copac|pom|creanga|branch|tree)|ambrozi\w*|ragweed|"
                    # (issue 15) a branch or tree about to fall, cut or dried, trees by their kind
                    r"\b(?:copac|pom|creanga|craca|crengi|branch|tree|plop)\w* (?:\w+ ){0,4}(?:crapat\w*|atarna|sta sa cada|inclinat|"
                    r"s-a inclinat|hanging|leaning|dried|uscat\w*)|(?:taiat|cut down)\w* (?:\w+ ){0,2}(?:tei|copaci|pomi|arbori|trees)\b|"
                    # a tree by its kind, never the genitive a street is named with (Stejarului, Castanilor)
                    r"\b(?:plop(?:ul|i|ii)?|stejar(?:ul|i|ii)?|castan(?:ul|i|ii)?|mesteacan(?:ul)?|mesteceni)\b|"
                    r"cioturi\w*|gard\w* viu|parculet\w*|gazon\w*"),
    # a traffic light is a sign, not a street light ("light" would say so)
    ("road_sign", r"traffic lights?|semafor\w*|semafoar\w*|pedestrian (?:lights?|signals?)|road markings?|"
                  # (issue 15) the light for the cars at a crossing, a light stuck on one colour
                  r"\bcar lights?\b|lights? for (?:the )?cars|stuck on (?:red|green|amber|yellow)|"
                  r"(?:blocat|ramas)\w* pe (?:rosu|verde|galben)|pe galben intermitent|flashing (?:amber|yellow)|street name (?:plate|sign)|name plate|placut\w* (?:cu numele|stradal\w*)|"
                  r"s-a sters (?:\w+ ){0,3}(?:trecerea|marcajul)|trecerea (?:\w+ ){0,4}s-a sters|nu se (?:mai )?vede nicio dunga"),
    ("illegal_parking", r"parcat|parcheaz|parcare (ilegal|neregulament)|parked|illegal parking|blocking|blocheaz|"
                        r"locul de handicap|disabled spot|\bparking (across|on|in front)|driveway|parcheaza|parcheaz|"
                        r"(?:lasat|lasa|abandonat\w*|abandoned)\b.{0,20}\b(?:masin\w*|duba|dubita|van|car|camion\w*|tir\w*)|"
                        r"(?:masin\w*|duba|dubita|van|car|camion\w*|tir\w*) (?:\w+ )?(?:abandonat\w*|abandoned|lasat\w*)|"
                        r"si-a lasat|pe trotuar cu (?:masina|duba)|on the (?:pavement|sidewalk|crossing) with|"
                        r"nu (?:putem|pot|poti) (?:trece|iesi) (?:de |din cauza )?(?:masin|duba)|"
                        r"(?:masin\w*|duba|dubita|van|car|camion\w*|tir\w*) (?:\w+ ){0,4}(?:pe trotuar|on the (?:pavement|sidewalk))|"
                        # (issue 15) someone's car keeping others in or out, parking where it may not
                        r"blocat\w* (?:\w+ )?(?:accesul|iesirea|intrarea|masina|garajul|poarta)|(?:cars?|vans?|they|people|drivers) (?:\w+ )?park (?:on|in|across|right)\b|"
                        r"keeps? parking|locul meu|locuri\w* de parcare (?:\w+ )?ocupat\w*"),
    # (fourth round) vehicles left for good and parking where nobody may, in general words
    ("illegal_parking", r"\b(?:rulot\w*|caravan\w*|remorc\w*|trailer|epav\w*|wreck)\b(?=.*\b(?:abandonat\w*|abandoned|de (?:luni|ani|saptamani)|for (?:months|weeks|years)|ocupa|parcat\w*|parked|locul))|"
                        r"(?:masin\w*|car|vehicle|vehicul\w*) (?:\w+ ){0,2}(?:fara (?:numere|placut\w*)|without (?:plates|number plates))|"
                        r"parks? (?:\w+ ){0,3}(?:on|in) the (?:bike|cycle) lane|pista de biciclete (?:\w+ ){0,4}parc\w*|parc\w* (?:\w+ ){0,4}pista de biciclete"),
    ("pothole", r"groap\w*|gropa\b|gropi\b|pothole|crater\w*|gaur\w* (?:din|in) (?:carosabil|asfalt|drum|strada)|"
                r"asfalt\w* (?:s-a )?(?:surpat|lasat|scufundat)|s-a surpat (?:\w+ )?asfaltul|piatra cubica|paving slabs?|"
                r"cobblestones?|road edge|sapatur\w*"),
    # a bus that is cold or late is the bus service's
    ("public_transport", r"\bin \d{1,3}[a-z]? (?:\w+ ){0,4}(?:frig|caldura)|(?:nu merge|fara|no) (?:caldura|heating)|"
                         r"din \d+ in \d+ (?:de )?min|timetable|\borar\w*"),
    ("public_transport", r"statia de autobuz|statie de autobuz|statia|statie|autobuz|refugiu|bus stop|bus shelter|"
                         r"\bbus(es)?\b|tramvai|troleibuz|shelter|adapost|sofer\w* (?:de pe|de la|autobuz)|\bdriver\b|automat\w* de bilete|"
                         r"ticket machine|nu (?:mai )?opreste|didn'?t stop|skipped the stop|orar\w* din statie|"
                         r"\bdisplay\b|afisaj\w*|wrong times|timpi\w* gresit\w*|skips? stops"),
    ("streetlight", r"\bbec(?:ul\w*|uri\w*)?\b|stalp(?!isor)|iluminat|felinar|lampa|\blamp|street ?light|bezna|lumina|\blights?\b|"
                    r"\bdark\b|intuneric|nu (?:mai )?ard\b|nu se (?:mai )?aprind|pitch black|lamp\w*|lantern|nu se vede nimic|"
                    r"can'?t see (?:a thing|anything)|becuri"),
    ("road_sign", r"indicator|semafor|marcaj|\bsign\b|traffic light|zebra|trecere\w* (?:de|pentru) pietoni|pedestrian crossing|crosswalk|"
                  r"crossing paint|stop sign|oglinda|limitator|speed bump|\bmarkings?\b|knocked over|plac\w* cu numele"),
    ("pothole", r"sunken (?:patch|asphalt)"),
    # (tenth round) a kerb or its ramp is the pavement's
    ("pothole", r"\b(?:kerb|curb|bordur\w*)\b"),
    ("water_sewer", r"teava|tevi|\bapa\b|canal|capac|\bpipe|water|drain|sewage|sewer|manhole|leak|inundat|flood|balt\w*|"
                    r"puddle|hidrant|hydrant|se scurge|scurgere|gura de scurgere|"
                    r"canaliz\w*|fecale|smells? of sewage|miroase a canal|se face (?:un )?lac|pasaj\w* (?:\w+ ){0,2}inundat"),
    ("noise", r"probe de sunet|sound ?checks?|"
              r"\b(?:starts?|begins?|incep\w*|lucreaza|works?|working|from|before|de la|inainte de|at|la) (?:\w+ )?[3-6](?:[:.]\d\d)? ?(?:am\b|a\.m|dimineata|in the morning)|"
              r"galagie|zgomot|muzica|noise|noisy|\bloud|music|petrecere|jackhammer|picamer|picamar|drilling|"
              r"manele|latr|latra|barking|flex\w*|bormasin\w*|drill\w*|\bbass\b|party|parties|\burla\w*|urlet\w*|tipet\w*|"
              r"boxe|speakers?|karaoke|generator|car alarm|alarma (?:unei |de )?masin\w*|nu (?:putem|pot) dormi|"
              r"can'?t sleep|all night|toata noaptea|bubuie|bataie de cap|ciocan\w*|hammering"),
    ("garbage", r"depozit\w* (?:ilegal|necontrolat)|anvelope|tyres|tires dumped|"
                r"gunoi|gunoa|deseu|container|moloz|saci|rubbish|garbage|trash|litter|\bbins?\b|dump|murdar|pubel|tombero|\bghen|mobila veche|"
                "furniture|sofa|mattress|saltea|gunoaie|\\bpute\\b|\\bputea\\b|puturos|miros(?:ul)? (?:urat|ingrozitor|groaznic)|hoit|"
                r"frigider|fridge|canapea|"
                r"couch|resturi|moloz|dumped|fly.?tipping|mizerie|sticle|\bpet\b|cutii|boxes|bags|saci|pungi|"
                r"goleasca|golit|colectat|ridicat (?:gunoi|deseu)|collected|stinks?|stench|reciclare|recycling"),
    # pests on their own (rats drawn by rubbish left out are the rubbish's)
    ("other", r"sobolan\w*|\brats?\b|deratiz\w*|soareci|gandaci|dezinsec\w*|cockroach\w*|\bmice\b"),
    ("green_space", r"iarba|\bparc(ul)?\b|copac|crengi|spatiu(l)? verde|banca din parc|grass|\btree|branch|\bpark\b|"
                    r"green area|gazon|\bbench|\bbanc(a|i)\b|playground|loc de joaca|leagan|buruien\w*|weeds?|hedges?|gard viu|"
                    r"tufe|tufis\w*|bushes|arbor\w*|\bpom\w*|swings?|slide|tobogan|spatiul dintre blocuri|"
                    r"overgrown|neingrijit|uscat|dead tree|frunze|leaves|scrub|lawn|flower ?beds?|straturi de flori"),
    ("pothole", r"groap|gropi|gaur|asfalt|trotuar|pavaj|pothole|\bhole|asphalt|sidewalk|pavement|crater|denivel|surpat|"
                r"crap\w*|fisur\w*|hartop\w*|bumpy|uneven|cracks?|cracked|sunk|sinkhole|caved|road surface|"
                r"drum\w* (?:stricat|distrus|rupt|praf)|borduri?|bordura|curb|dale|pavele|cobble|suspension|"
                r"roata|tyre|tire|rupt drumul|dalele"),
]
# A landmark named only to say where ("lângă stația de autobuz", "near the traffic lights", "la
# semafor"): the problem is something else, so these words are set aside while the category is
# read, and used only when nothing else in the message names one.
LANDMARK = re.compile(
    r"\b(?:langa|linga|near|next to|beside|by|behind|opposite|vizavi de|aproape de|in fata|in dreptul|in spatele|"
    r"la|at|around|de la|from|pe langa|dupa|before|after|in|din)\s+(?:the\s+|a\s+|o\s+|un\s+)?"
    r"(?:statia|statie|statiei|bus stop|stop|tram stop|semafor\w*|traffic lights?|stalp\w*|lamp post|"
    r"refugiu\w*|shelter|zebra|trecere\w*(?: de pietoni)?|pedestrian crossing|parc\w*|park|playground|"
    r"loc\w* de joaca|bloc\w*|scoala|school|gur\w* de (?:canal|scurgere)|canal\w*|linia de tramvai|sine\w* de tramvai|tram (?:line|tracks))"
    r"(?:\s+(?:de|de la|din|of the|of)?\s*(?:autobuz|tramvai|bus|pietoni|joaca))?")


# (issue 15) the works that caused the damage ("since the pipe works", "după lucrările la apă"):
# said to explain, not the problem reported, so set aside with the landmarks
CAUSE = re.compile(r"\b(?:since|after|dupa|de la|from) (?:the )?(?:(?:pipe|water|gas|sewer|sewage) )?(?:works|roadworks|lucrari\w*)"
                   r"(?: (?:la|de (?:la )?|pe|on|at|to) (?:the )?(?:apa|conduct\w*|canal\w*|gaz|teav\w*|retea|pipes?|water|gas))?")


def category(f: str) -> str | None:
    """The report's category in the folded text: :data:`CATEGORY_RULES` (first match wins) read
    without the landmarks (:data:`LANDMARK`), then with them if nothing else matched."""
    for text in (CAUSE.sub(" ", LANDMARK.sub(" ", f)), f):
        for cat, rx in CATEGORY_RULES:
            if re.search(rx, text):
                return cat
    return None


TAX_RULES = [("vehicle", r"masin|\bauto\b|vehicul|autoturism|\bcar\b|vehicle|road tax|motocicl|motorbike|motorcycle|scooter|\bmoto\b|"
                        # (issue 15) a van, a truck, a trailer are vehicles too
                        r"autoutilitar\w*|\bdub(?:a|ei|ita)\b|remorc\w*|\btrucks?\b|\bvans?\b|camion\w*|\btrailers?\b"),
             ("land", r"teren|\bland\b|plot"),
             ("property", r"cladir|\bcasa\b|casei|apartament|apartment|proprietat|property|building tax|\bhouse|\bflat\b|locuint|"
                          r"garsonier\w*|\bcase\b")]
# The kind of permit: an id's prefix says whose id it is ("CU 412/2026"), but alone it is not the
# kind named in words (ID_PREFIX, issue 15); "cu nr." is Romanian for "with number", never an
# urbanism certificate (a "CU" written in capitals is: :data:`CU_NOUN`).
PERMIT_RULES = [("urbanism_certificate", r"certificat\w* (?:de )?urbanism|urbanism certificate|planning certificate|"
                                         r"\bthe cu\b|\bcu-?ul\b|\bun cu\b(?! \d)|\bcu (?:pt|pentru)\b|\bcu \d+ ?/|"
                                         # the paper one needs before building, in everyday words
                                         r"(?:hartia|hartie|paper|actul|document\w*) (?:\w+ ){0,4}(?:dinainte de|before) (?:a )?(?:construct|construi|build)\w*"),
                ("residential_parking", r"parcar\w* (rezident|de resedint|resedint)|abonament\w* de parcare|residential parking|"
                                        r"residents?'? parking|parcare rezident|parcarea rezident|loc\w* de parcare (?:la bloc|in fata blocului|de resedinta|platit)|"
                                        r"parking (?:permit|sticker|pass|card)|resident stickers?|abonament\w* (?:la |pentru |de )?parcare|"
                                        r"parcare (?:pt|pentru) rezident\w*|permis\w* de parcare|\bloc\w* de parcare|parking (?:spot|space)"),
                ("building", r"autoriza\w* de constru|autoriza\w* constru|building permit|construction permit|"
                             r"mansard|extinder|\bextension|\bloft\b|\bgaraj|\bgarage|\banexa|construiesc|want to build|"
                             r"(?:bought|cumparat) (?:a plot|un teren).{0,40}\b(?:build|construi)|etaj in plus|extra floor|"
                             r"sa construiesc|to build|autoriza\w* (?:\w+ ){0,3}(?:gard|acoperis)|(?:gard|acoperis)\w* (?:\w+ ){0,6}autoriza|"
                             r"permit for an extension|autorizatia de construire|\bautoriza\w* (?:nr\.? ?)?ac[ -]?\d|"
                             # (issue 15) building in other words: demolishing, a roof, closing a balcony,
                             # a gazebo on a foundation, a construction authorisation
                             r"autoriza\w* (?:\w+ ){1,2}de constru|construction authori[sz]ation|"
                             r"(?:autoriza\w*|permit|\bac\b) (?:\w+ ){0,3}(?:de )?(?:demolare|desfiintare|demolition)|demolition permit|"
                             r"demolar\w* (?:\w+ ){0,6}autoriza\w*|inchid balconul|(?:rebuild|reconstrui\w*|refac\w*) (?:\w+ ){0,3}(?:roof|acoperis\w*)|"
                             r"foisor\w*|fundati\w*")]
ID_PREFIX = re.compile(r"(?:cu|ac) ?\d+ ?/?")
# the intents whose answer depends on the kind of permit (apply, verify, the documents): elsewhere
# ("where is the parking office", "the status of my request") the kind is not asked for
PERMIT_INTENTS = ("permit_apply", "permit_verify", "documents_info")
# a permit to apply for, about a roof, a house or a shed, with no kind named: a building permit
BUILDING_WORKS = re.compile(r"\b(?:acoperis\w*|roof|balcon\w*|magazi[ea]\w*|magazii|shed|casa|case|house|anexa|garaj\w*|garage|"
                            r"reconstrui\w*|rebuild|demol\w*|desfiint\w*)\b")
# ... unless the permit is for something else (a terrace, a skip, an event, a shop sign, running a shop)
OTHER_PERMIT = re.compile(r"\b(?:teras\w*|terrace|container\w*|skip|eveniment\w*|events?|film\w*|functionare|operating|"
                          r"reclam\w*|advertis\w*|firm\w* luminoas\w*|signs?|taier\w*|tree|copac\w*|spectacol\w*|concert\w*)\b")
# "CU" written in capitals, not as the prefix of an id ("cerere CU pt teren", "îmi trebuie CU."):
# the urbanism certificate as a noun
CU_NOUN = re.compile(r"\bCU\b(?![ -]?\d)")
# two kinds of tax named together ("casa + mașina", "house and land", "deodată"): no one tax_type
TWO_TAXES = re.compile(r"\b(?:si|and|\+|plus|deodata|together|both|amandoua|toate)\b.{0,40}\b(?:masin|teren|land|cas|apartament|flat|house|car|cladir|auto\b|vehicul)\w*|"
                       r"\b(?:masin|teren|land|cas|apartament|flat|house|car|cladir|auto\b|vehicul)\w* ?(?:\+|si|and|plus)")
# a fine (amendă, proces-verbal): paid like a tax, but it is not one
FINE = re.compile(r"\bamend\w*|\bfines?\b|\bparking ticket|\bproces(?:ul)?[- ]verbal|\bcontraventi\w*|"
                  r"\bspeeding ticket|\bpenalty notice")
# words of the city hall's world: a message with none of them, understood with little confidence,
# is out of scope rather than a weak guess at an intent
DOMAIN = re.compile(
    r"sesiz|cerer|reclam|raport|report|request|ticket|impozit|\btax|taxa|taxe|plat|pay|autoriz|permit|certificat|"
    r"urbanism|parcar|parking|park|autobuz|\bbus|linia|\bline|statia|stop|primari|city hall|town hall|program|"
    r"deschis|open|acte|document|hartii|papers|groap|gunoi|rubbish|garbage|strada|\bstr\b|street|bec|lumin|light|"
    r"apa|water|zgomot|noise|ajutor|help|urgent|operator|om\b|human|person|multum|mersi|thank|buna|salut|hello|\bhi\b|"
    r"revedere|bye|nota|feedback|serviciu|service|masin|\bcar\b|teren|land|cladir|casa|house|property|copac|tree|"
    r"semafor|sign|canal|pipe|santier|construct|ghiseu|office|telefon|phone|adresa|address|unde e|where is|gaz|foc|fire|"
    r"accident|\bnr\b|#\d|\d{2,}|gropi|gaur|trotuar|asfalt|pavaj|pothole|pavement|ghen|tomberon|\bbins?\b|"
    r"chatbot|\bbot\b|aplicati|\bapp\b|raspuns|answer|misunderst|intele|fix|repar|rezolv|amend|fine\b|"
    r"vecin|neighbo|cartier|bloc|district|parc\b|trecere|crossing|semn|lampa|lamp|iluminat|stalp|"
    r"\bpe [a-z]{4,}ului\b|\bpe [a-z]{4,}ilor\b|"
    # (third round) getting somewhere, the service itself, papers and money
    r"ajung|get (?:to|from)|fastest way|how often|cat de des|din \d+ in \d+|circul|schimb|\bgar[ai]\b|terminal|"
    r"robot|\blink\b|limba|language|functionar|clerk|carne si oase|datorez|\bowe\b|majorar|penalit|impozit|legaliz|"
    r"succesiune|inheritance|sofer|driver")
# Calibration of the detector and the model (chosen on the analysis half of the development set
# and the two emergency probes, where neither cost an emergency): a clear alarm in a message the
# model reads as another intent with at least CALM_CONFIDENCE, naming no one in danger, becomes
# ambiguous; the model's own "emergency", when the detector found nothing, is acted on as such
# only from MODEL_ONLY_EMERGENCY (below it: guidance plus the next reading).
CALM_CONFIDENCE = 0.8
# ... only for the kinds of danger word with everyday, harmless uses (smoke from a chimney, a TV
# cable, a gas bill); a knife fight, a collapse, someone trapped or missing stay clear (third round)
EVERYDAY_KINDS = frozenset({"fire", "smoke", "gas", "electricity", "flood", "accident", "animal"})
# a reading below this, of a message of three words or more with no word of the city hall's world
# (DOMAIN), is out of scope
OUT_OF_SCOPE_BELOW = 0.4
MODEL_ONLY_EMERGENCY = 0.7
# the social intents, read by the model with at least SOCIAL_FLOOR, are not turned out of scope for
# lacking the city hall's words (five-set round)
SOCIAL = frozenset({"greeting", "thanks", "goodbye", "feedback"})
SOCIAL_FLOOR = 0.3
# the safety net (fifth round): a message the detector found nothing in and the model reads as
# something else, but with at least this probability of "emergency", gets the 112 line before its
# normal answer. The detector's lexicons always miss some new way of saying it (on a fourth blind
# set: "a fallen neighbour on the floor since last night", "a man carried by the river", "my husband
# drank antifreeze"), and the model's second thought catches most of them. Chosen on development
# sets A, B and C alone, as the largest threshold whose extra 112 lines stay ≤ 3.5 % of their
# non-emergency messages (A 3.2 %, B 2.1 %, C 2.6 %); it changes no intent, so no false alarm.
# Not for messages under four words ("da, vă rog" reads 0.25 emergency: too short to tell).
SAFETY_NET = 0.15
# a message set in the past: yesterday, last week/month/year, n days ago (fourth round)
PAST = re.compile(r"\b(?:ieri|alaltaieri|aseara) (?:a|au|am|s-a|s-au|ni s-a|mi s-a|a fost|au fost)\b|\b(?:anul|luna|saptamana) trecut\w*|"
                  r"\bacum (?:\d+|o|un|doua|trei|cateva) (?:zile|saptamani|luni|ani)\b|\blast (?:week|month|year|winter|summer)\b|"
                  r"\byesterday (?:there was|we had|i had|my)\b|\b\w+ (?:days|weeks|months|years) ago\b|"
                  # the seasons, and "after the fire / flood" (the event is over)
                  r"\blast (?:spring|autumn|fall)\b|\b(?:primavara|toamna|iarna|vara) trecut\w*|"
                  r"\b(?:dupa|de la) (?:incendiul|inundatia|inundatiile|cutremurul|explozia|accidentul)\b(?! de (?:acum|azi|adineauri))|"
                  r"\bafter the (?:fire|flood|flooding|earthquake|explosion|accident)\b")
# The model's emergency over a message the detector found calmed by its own words (nobody hurt,
# a drill, a dream, a question asked to learn): only when the model is this sure.
NEGATED_EMERGENCY = 0.85
# A request reference quoted with its cue ("reference no. 57740", "case number 41006", "#50377",
# "petiția cu nr de înregistrare 44871", "SR-2026-004512") and a question about its state: whatever
# the complaint's words pull the model towards (a street light, a pothole), this asks for a status.
# (eighth round) a person asked for in other words: to be called back or contacted, a human, a
# person to talk to ("puteți să mă sunați?", "aș dori să fiu contactat telefonic", "I need to speak
# to a person about ...", "give me a human")
PERSON_CUE = re.compile(r"\b(?:(?:sa|ma) (?:ma )?(?:sunati|suna|contactati|contacteze|sune)|sunati-?ma|contactati-?ma|"
                        r"sa fiu (?:contactat\w*|sunat\w*)|call me(?: back)?|contact me|ring me|give me a call|"
                        r"(?:speak|talk) (?:to|with) (?:a |an )?(?:real )?(?:person|human|someone|agent|operator)|"
                        r"vorbesc cu (?:un om|cineva|o persoana|un operator|un consilier)|(?:un|a|an) human\b|"
                        r"(?:an? )?(?:actual|real) (?:person|human)|un om (?:adevarat|real)|o persoana reala)")
REF_CUE = re.compile(R.request_cue() + r"|\b[a-z]{2,3}-20\d\d-\d{3,8}\b")      # the words: references.REQUEST_WORDS
STATUS_CUE = re.compile(r"\b(?:inchis\w*|closed|rezolvat\w*|solutionat\w*|resolved|fixed|stadiu\w*|stadiul|status|update|"
                        r"assigned|alocat\w*|noutat\w*|news|progress|raspuns\w*|s-a (?:facut|intamplat|rezolvat)|"
                        r"what happened|has anyone|a venit cineva|nobody came|n-a venit nimeni|still (?:open|waiting|nothing)|"
                        # (fourth round) asking to look it up or follow it, in general words
                        r"verific\w*|check\w*|track\w*|urmar\w*|follow(?:ing)?[- ]?up|(?:is it |e )?(?:open|deschis\w*)|"
                        r"ce (?:mai )?(?:e|este|se intampla|se aude) cu|what'?s (?:up|happening|going on) with|where is|unde (?:a ajuns|e|este))\b")
# "verify / check if it is real" with a permit: a verification, not an application
# a line named as the vehicle something happens in or with (reports and emergencies): only with its
# cue, since a bare number there is a house, a block or a time
VEHICLE_LINE = re.compile(r"\b(?:linia|liniei|autobuz(?:ul|ului)?|bus|troleibuz(?:ul|ului)?|trolleybus|tramvai(?:ul)?|maxi-?taxi(?:ul)?|"
                          r"(?:sofer|driver)\w* (?:de pe|de la|of the|on the))\s+(\d{1,3}[a-z]?)\b(?![:.]\d| ?(?:min|de minute|minutes|lei|ani|zile))|"
                          r"\b(\d{1,3}[a-z]?)-?(?:ul|ului)\b")
REPORT_CUE = re.compile(r"\b(?:reclam\w*|sesiz\w*|semnal\w*|raportez|raporta|report\w*|complain\w*|anunt)\b")
# (ninth round) the cues that tell apart intents the model confuses, in general words
PERMIT_NOUN = re.compile(r"\b(?:permis\w*|autorizati\w*|abonament\w*|permit|permits|certificat\w*|licen[tc]\w*)\b")
REQUEST_NOUN = re.compile(r"\b(?:cerer\w*|sesizar\w*|reclamati\w*|petiti\w*|request|report|complaint|ticket|dosar\w*|applications?|"
                          r"aplicati\w*|solicitar\w*)\b")
JUST_ASKING = re.compile(r"\b(?:nu (?:zic|spun) (?:ca |sa )?(?:platesc|plătesc)|nu (?:vreau sa )?platesc (?:acum|inca)|doar (?:sa stiu|intreb|ca sa stiu)|"
                         r"just (?:asking|wondering|to know|want to know|curious)|only asking|not (?:paying|to pay) (?:now|yet|today))\b")
# (a passport is the prefecture's, not the town hall's: it stays out of scope)
DOC_THING = re.compile(r"\b(?:buletin\w*|cartea? de identitate|id card|identity card|adeverint\w*|"
                       r"certificat\w* de (?:nastere|casatorie|deces|domiciliu)|extras\w* de carte funciara|birth certificate|"
                       r"duplicat\w*|replacement|contractul de vanzare)\b")
HOW = re.compile(r"\b(?:cum|unde|how|where|obtin|obtine|iau|fac altul|imi fac|get a|get an|get my|replace)\b")
GREET_START = re.compile(r"^\W*(?:buna|buna ziua|buna seara|buna dimineata|salut\w*|hello|hi|hey|good (?:morning|afternoon|evening)|"
                         r"sarut mana|neata|servus)\b")
INTRO = re.compile(r"\b(?:i'?m|i am|my name is|sunt|ma numesc|numele meu|aici e|aici este|here is|this is)\b")
PRAISE = re.compile(r"\b(?:bravo|felicitari|felicit|asa da|great job|well done|good job|kudos|super treaba|treaba buna|"
                    r"nice work|hats off|jos palaria|chapeau|respect maxim|tot respectul|total respect|impressed|impresionat\w*)\b|\brespect\W*$")
FIXED = re.compile(r"\b(?:s-a (?:reparat|rezolvat|facut)|au (?:reparat|rezolvat|venit|curatat|schimbat|inlocuit)|"
                   r"(?:a fost|era|e|este|erau|au fost) (?:deja )?(?:reparat\w*|rezolvat\w*|schimbat\w*|inlocuit\w*)|"
                   r"fixed|repaired|resolved|cleaned|so (?:quickly|fast)|in (?:\d+|doua|trei|o) (?:zile|zi|days?)|"
                   r"repede|the new|noile|noul)\b")
PERMIT_REF = re.compile(r"\b(?:CU|AC|AD)[ -]?\d{1,6} ?/ ?(?:\d{1,2}\.\d{1,2}\.)?20\d\d\b|\b(?:AC|CU|AD|PR|RP)-\d{3,6}\b")   # on the text: "cu" is also "with"
DOCS_CUE = re.compile(r"\b(?:ce|care|which|what) (?:\w+ )?(?:acte|actele|hartii|hartiile|documente\w*|documents|papers|paperwork)\b|"
                      r"\bde ce (?:acte|hartii|documente) (?:am|avem|e|este) nevoie\b|\bwhat do (?:i|we) need to (?:bring|prepare|submit|have)\b")
BUILD_WORDS = re.compile(r"\b(?:constru\w*|garaj\w*|anex\w*|extind\w*|extinder\w*|mansard\w*|autorizati\w*|urbanism|"
                         r"build\w*|extension|shed|garage|permit\w*)\b")
APPLY_NOW = re.compile(r"\b(?:vreau sa (?:depun|cer|solicit|obtin|aplic)|depun acum|sa depun cererea|submit (?:it|the application) now|"
                       r"apply now|i want to apply|i'?d like to apply)\b")
TIMES_CUE = re.compile(r"\b(?:program\w*|orar\w*|schedule|timetable|times|frecven\w*|cat de des|how often|pleaca|trece|circula|"
                       r"prima|ultima|first|last|next)\b")
TAX_QUESTION = re.compile(r"\b(?:cat|ce|cati bani) (?:\w+ ){0,2}datoreaz\w*|\b(?:what|how much) (?:\w+ ){0,4}owes?\b|"
                          r"\bdatorii\w* (?:\w+ )?(?:la|catre) (?:primari\w*|oras\w*)|\bscutit\w* de\b|\bscutir\w*|\bexempt\w*\b|"
                          r"\b(?:reducere|discount) (?:\w+ ){0,3}(?:la |pe |on (?:the )?)?(?:impozit\w*|tax\w*)\b")
VERIFY_CUE = re.compile(r"\b(?:verific\w*|verify\w*|check (?:if|whether|that)|is (?:it|this|the \w+) (?:real|genuine|legit|valid))\b")
STREET_PREFIX = r"(?:strada|strazii|str|bulevardul|bulevardului|bulevardu|bdul|b-dul|bd|blvd|calea|caii|cal|aleea|aleii|al|piata|" \
                r"pietei|pta|soseaua|sos|splaiul|intrarea|drumul)"
# the kind a written prefix names ("al." -> aleea): when a name is both an Aleea and a Strada, the
# one the citizen wrote wins; when the message does not say, the order of KIND_ORDER (the
# through street before the side alley: most reports and calls are about the bigger one)
KIND_OF_PREFIX = {"strada": "strada", "strazii": "strada", "str": "strada", "bulevardul": "bulevardul",
                  "bulevardului": "bulevardul", "bulevardu": "bulevardul", "bdul": "bulevardul", "b-dul": "bulevardul",
                  "bd": "bulevardul", "blvd": "bulevardul", "calea": "calea", "caii": "calea", "cal": "calea",
                  "aleea": "aleea", "aleii": "aleea", "al": "aleea", "piata": "piata", "pietei": "piata", "pta": "piata",
                  "soseaua": "soseaua", "sos": "soseaua", "splaiul": "splaiul", "intrarea": "intrarea", "drumul": "drumul",
                  "boulevard": "bulevardul", "avenue": "bulevardul", "street": "strada", "st": "strada"}
KIND_ORDER = ("strada", "bulevardul", "calea", "piata", "soseaua", "splaiul", "drumul", "aleea", "intrarea")
# OpenStreetMap names that are not addresses (bus platforms, paths): twin.text.NOT_A_STREET


def _stop_place(tokens: list[str], k: int) -> bool:
    """Whether ``tokens[k]`` calls a place a bus stop ("stația", "the stop", "shelter"), not a
    stop sign ("indicatorul de stop", "stop sign")."""
    t = tokens[k]
    if t not in STOP_PLACE:
        return False
    return not (t == "stop" and ((k > 0 and tokens[k - 1] in ("de", "indicator", "indicatorul"))
                                 or tokens[k + 1:k + 2] == ["sign"]))


def _kind_of(name: str) -> str | None:
    first = fold_text(name).split(" ", 1)[0]
    return first if first in KIND_ORDER else None


def _kind_rank(name: str) -> int:
    kind = _kind_of(name)
    return KIND_ORDER.index(kind) if kind else len(KIND_ORDER)


# words after which a bare street name may follow ("pe Mureșenilor", "on Lunga")
# words never taken alone as a street's alias (a street "Ioan Noua" is not "noua")
COMMON_WORDS = {"noua", "nou", "mare", "mica", "veche", "vechi", "lunga", "scurta", "centru", "centrala", "central",
                "mare", "sus", "jos", "garii", "pietei", "parcului", "scolii", "bisericii", "morii", "lacului"}
MONTHS = {"ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august", "septembrie", "octombrie",
          "noiembrie", "decembrie"}                  # "pe 15 Noiembrie", "pe 1 Decembrie": streets named by a date
# ... unless the message is about a day ("e deschis pe 1 decembrie?", "expiră pe 31 decembrie")
DATE_CONTEXT = re.compile(r"\b(?:deschis\w*|inchis\w*|program\w*|expir\w*|termen\w*|sarbator\w*|liber\w*|zi(?:ua)?|data|"
                          r"pana|incepand|open|closed|holiday|until|deadline|due)\b")
BARE_CUES = {"pe", "on", "din", "in", "la", "near", "along", "langa", "at", "down", "intersectia", "intersectiei",
             "intersectie", "colt", "coltul", "coltului"}
# (issue 15) "the corner of X", "at the crossing of X", "intersecția X cu Y": after these, "of" / "cu" is
# a cue too
CROSSING_WORDS = {"corner", "crossing", "intersection", "junction", "intersectia", "intersectiei", "intersectie"}
# a possessive is never a street's name ("pe strada noastră" is not Strada Astra, "on our street")
POSSESSIVES = {"noastra", "nostru", "noastre", "nostri", "mea", "meu", "mele", "mei", "lor", "voastra", "vostru",
               "ta", "tau", "sa", "lui", "ei", "our", "my", "their", "your", "his", "her"}
# a country or a town is never a street's bare name ("in Romania" is not Strada Română)
NOT_STREET_WORDS = {"romania", "romaniei", "brasov", "brasovului", "bucuresti", "europa", "germania", "ungaria"}
# the words that call the place a bus stop: a bare name shortly after them is the stop's, not a street
STOP_PLACE = {"statia", "statie", "statiei", "stop", "shelter", "refugiu", "refugiul", "refugiului", "adapost", "adapostul"}
# words naming a bus stop: the name after them is a stop, not a street
STOP_CUES = {"statia", "statie", "statiei", "statii", "stop", "statiile"}
# everyday words that some street is also called: never a bare street name ("a căzut pe scări")
NOT_A_STOP = {"centru", "centrul", "center", "centre", "service", "oras", "town"}
BARE_STOP = {"scari", "scara", "jos", "drum", "drumul", "camp", "gara", "piata", "centru", "parc", "pod", "lac", "deal",
             "vale", "munte", "balcon", "acoperis", "trotuar", "strada", "bloc", "blocul", "casa", "etaj", "lift",
             "statie", "statia", "pod", "pasaj", "pasarela", "scoala", "biserica", "spital", "the", "my", "our", "road"}
RO_WORDS = set("si este e pe la vreau care cum unde nu cu de pentru pt sa mea meu va rog am o un din ce cand mai "
               "buna ziua multumesc mersi salut cererea sesizare imi sunt ati aveti ma se iar asta acum deja "
               "vine trece pleaca unde cat cate mi ne le lui ei el ea da bine pa ms multam nici".split())
EN_WORDS = set("the is my i to a of please what how where when there on can want it in for this you an and "
               "hello hi thanks thank bye have need thx pls our we your does do did still just been any".split())


def detect_language(text: str, default: str = "ro", trigrams: bool = True, diacritics: bool = True) -> str:
    """``"ro"`` or ``"en"`` for this one message; ``default`` when the message does not say.

    Diacritics say Romanian; otherwise common words of each language are counted; when they tie,
    character trigrams learnt from the training set's labelled rows decide if they are clear
    (:func:`_trigram_margin`) unless ``trigrams`` is False. "ok", "5" or a stop name say
    nothing: ``default``. ``diacritics=False`` and ``trigrams=False`` read only the words, for an
    answer that may be a Romanian name ("Strada Lungă 5") in an English conversation.
    """
    if diacritics and re.search(r"[ăâîșțşţ]", text.lower()):
        return "ro"
    words = re.findall(r"[a-z']+", fold_text(text))
    ro = sum(w in RO_WORDS for w in words)
    # a word written with a diacritic is never an English one ("în" is not "in"), even when the
    # diacritics themselves are not taken as a sign (an answer that may be a Romanian name)
    en = sum(w in EN_WORDS for w in re.findall(r"[a-zăâîșțşţ']+", text.lower().replace("\u2019", "'")))
    if ro > en:
        return "ro"
    if en > ro:
        return "en"
    if trigrams and sum(len(w) for w in words) >= 5:
        margin = _trigram_margin(" ".join(words))
        if margin > 2.0:
            return "ro"
        if margin < -2.0:
            return "en"
    return default


@lru_cache(maxsize=1)
def _trigram_tables():
    import math
    from collections import Counter

    counts = {"ro": Counter(), "en": Counter()}
    for t, _, lang in examples():
        w = " " + " ".join(re.findall(r"[a-z']+", fold_text(t))) + " "
        counts[lang].update(w[i:i + 3] for i in range(len(w) - 2))
    vocab = set(counts["ro"]) | set(counts["en"])
    tables = {}
    for lang, c in counts.items():
        total = sum(c.values()) + len(vocab)
        tables[lang] = ({g: math.log((n + 1) / total) for g, n in c.items()}, math.log(1 / total))
    return tables


def _trigram_margin(words: str) -> float:
    """log P(ro) - log P(en) of the text's character trigrams (add-one smoothed)."""
    t = _trigram_tables()
    w = f" {words} "
    grams = [w[i:i + 3] for i in range(len(w) - 2)]
    (ro, ro0), (en, en0) = t["ro"], t["en"]
    return sum(ro.get(g, ro0) - en.get(g, en0) for g in grams)


@dataclass
class Understanding:
    text: str
    lang: str
    intent: str
    confidence: float
    slots: dict = field(default_factory=dict)
    ranked: list = field(default_factory=list)          # [(intent, probability)] best first
    alarm: Alarm | None = None                          # what the emergency detector found


class IntentModel:
    """The trained intent classifier (see the module docstring)."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.classes = list(pipeline.classes_)
        self._fast = _FastScorer(pipeline)

    @classmethod
    def load(cls) -> "IntentModel":
        """Train, or load from the cache if the training set has not changed.

        The cache is the twin's (``$TWIN_CACHE_DIR``); a model with the same key in the user's
        default cache is read too (never written), so a test session with a private, empty
        cache does not spend ~40 s training the model the developer already has — the key
        holds everything the model is made of, so any copy with it is the same model. Two
        processes missing it (workers of a parallel run) train it once: the second waits on
        the entry's lock (:func:`twin.city.cache_entry_lock`) and reads the first one's."""
        import sklearn

        rows = examples(residents=RESIDENTS_IN_TRAINING)
        # the key holds what the model is made of: the rows, scikit-learn, and how it is trained
        digest = hashlib.sha256(repr((rows, sklearn.__version__, INTENT_C, _FEATURES)).encode()).hexdigest()[:20]
        from twin.city import cache_entry_lock, cache_root, default_cache_root

        name = f"intent-{digest}.pkl"
        path = cache_root() / "chatbot" / name
        default = default_cache_root() / "chatbot" / name
        model = cls._read(path) or (cls._read(default) if default != path else None)
        if model is not None:
            return model
        with cache_entry_lock(path):
            model = cls._read(path)                     # trained by another process meanwhile
            if model is not None:
                return model
            model = cls(train(rows))
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(model.pipeline))
            tmp.replace(path)
        return model

    @classmethod
    def _read(cls, path: Path) -> "IntentModel | None":
        if not path.exists():
            return None
        try:
            return cls(pickle.loads(path.read_bytes()))
        except Exception:  # noqa: BLE001 - a stale or damaged cache is rebuilt
            return None

    def rank(self, text: str) -> list[tuple[str, float]]:
        p = self._fast.proba(fold_text(text))
        order = p.argsort()[::-1]
        return [(self.classes[i], float(p[i])) for i in order[:3]]


class _FastScorer:
    """The fitted pipeline's ``predict_proba`` for one text, without scikit-learn's per-call checks.

    scikit-learn validates its input, dispatches through joblib and converts data frames on every
    call: ~10 ms for one short message, most of the reply's time. The arithmetic is small — count
    each vectorizer's n-grams, ``1 + log(tf)`` times the idf, L2-normalise, one matrix product
    and a softmax — so it is done here with the fitted vocabularies and coefficients. The result
    equals ``pipeline.predict_proba`` (checked when the model is loaded).
    """

    def __init__(self, pipeline):
        import numpy as np

        self.np = np
        union, clf = pipeline.named_steps["features"], pipeline.named_steps["clf"]
        self.parts = []
        offset = 0
        for _, vec in union.transformer_list:
            self.parts.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset, bool(vec.sublinear_tf)))
            offset += len(vec.vocabulary_)
        self.coef = np.ascontiguousarray(clf.coef_.T)          # (features, classes)
        self.intercept = clf.intercept_.copy()
        self.binary = self.coef.shape[1] == 1
        probe = ["buna ziua vreau sa platesc impozitul", "when does bus 4 come"]
        if not np.allclose(pipeline.predict_proba(probe), [self.proba(t) for t in probe], atol=1e-6):
            raise RuntimeError("the fast scorer disagrees with the pipeline (scikit-learn changed?)")

    def proba(self, text: str):
        np = self.np
        scores = self.intercept.copy()
        for analyze, vocab, idf, offset, sublinear in self.parts:
            counts: dict[int, int] = {}
            for gram in analyze(text):
                j = vocab.get(gram)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
            w = (1.0 + np.log(tf) if sublinear else tf) * idf[idx]
            w /= np.sqrt(w @ w)
            scores += w @ self.coef[idx + offset]
        if self.binary:
            p1 = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - p1, p1])
        scores -= scores.max()
        e = np.exp(scores)
        return e / e.sum()


# Inverse regularisation of the logistic regression. 20 until the second round of issue 15; 5
# (stronger regularisation, fewer template-specific weights) scored better on both halves of the
# development set and on a fresh probe (2, 10 and 20 were tried; see README, the chatbot).
INTENT_C = 5.0
# The shipped model also learns from the residents' own messages, the five independent sets A–E
# (:func:`services.chatbot.training.resident_rows`, 2,828 messages by five writers; E since the
# five-set round): measured by
# leaving each set out in turn (``scripts/chatbot_loso.py``), it bought +1.8 points of intent
# accuracy on the set left out, most on the sets least like the templates (README, the chatbot).
RESIDENTS_IN_TRAINING = True
_FEATURES = "char_wb 2-5 min_df 2 + word 1-2, sublinear tf-idf"


def train(rows, C: float = INTENT_C):
    """Fit the pipeline on ``(text, intent, lang)`` rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    texts = [fold_text(t) for t, _, _ in rows]
    labels = [i for _, i, _ in rows]
    pipe = Pipeline([
        ("features", FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                                      token_pattern=r"(?u)\b\w+\b")),
        ])),
        ("clf", LogisticRegression(C=C, max_iter=3000)),
    ])
    pipe.fit(texts, labels)
    missing = set(INTENTS) - set(pipe.classes_)
    if missing:
        raise ValueError(f"training set has no examples of {sorted(missing)}")
    return pipe


class SlotExtractor:
    """Rules and fuzzy matching for slots (see the module docstring)."""

    def __init__(self, street_names=(), stop_names=(), lines=(), districts=()):
        self.streets: dict[str, str] = {}
        self.street_kinds: dict[str, dict[str, str]] = {}     # key -> {kind word: name}
        for name in sorted(street_names, key=lambda n: (_kind_rank(n), n)):
            if NOT_A_STREET.match(fold_text(name)):
                continue                                      # a bus platform or a cycle path, not an address
            k = self._key(name)
            if not k:
                continue
            self.streets.setdefault(k, name)                  # Strada before Bulevardul ... before Aleea
            kind = _kind_of(name)
            if kind:
                self.street_kinds.setdefault(k, {}).setdefault(kind, name)
        # (fourth round) a street named after a person is called by the surname alone
        # ("Brâncoveanu", "Kogălniceanu" for Constantin Brâncoveanu, Mihail Kogălniceanu): the last
        # word is an alias when no other street ends in it or is called it
        last: dict[str, list[str]] = {}
        for k in self.streets:
            words = k.split()
            if len(words) >= 2 and not words[0].isdigit() and len(words[-1]) >= 5:
                last.setdefault(words[-1], []).append(k)
        for alias, keys in last.items():
            if len(keys) == 1 and alias not in self.streets and alias not in COMMON_WORDS \
                    and alias not in {fold_text(d) for d in districts}:
                self.streets[alias] = self.streets[keys[0]]
                self.street_kinds.setdefault(alias, self.street_kinds.get(keys[0], {}))
        self.street_keys = list(self.streets)
        self.stops = {fold_text(n): n for n in stop_names}
        for n in stop_names:                               # "Terminal Gară" is "gara" to everyone
            key = fold_text(n)
            short = re.sub(r"^(?:terminal|statia|autogara) ", "", key)
            if short != key and len(short) >= 4:
                self.stops.setdefault(short, n)
            if key.startswith("aeroportul"):
                for alias in ("aeroport", "aeroportul", "airport"):
                    self.stops.setdefault(alias, n)
            if re.search(r"\bgara\b", key) and key.startswith("terminal"):
                for alias in ("train station", "railway station", "the station", "gara mare"):
                    self.stops.setdefault(alias, n)
        self.stop_keys = list(self.stops)
        self.lines = {str(x).upper() for x in lines}
        self.districts: dict[str, str] = {}
        for name in districts:
            self.districts[fold_words(name)] = name
            for part in re.split(r"[-()]", name):
                if len(part.strip()) >= 4:
                    self.districts.setdefault(fold_words(part), name)
        firsts: dict[str, set] = {}
        for k, name in self.districts.items():
            if len(k.split()) > 1 and len(k.split()[0]) >= 5:
                firsts.setdefault(k.split()[0], set()).add(name)
        for w, names in firsts.items():            # "Poiana" for Poiana Brașov, when it names no other district
            if len(names) == 1 and w not in COMMON_WORDS:
                self.districts.setdefault(w, next(iter(names)))
        self.district_words = {w for k in self.districts for w in k.split()}

    def district(self, f: str) -> str | None:
        """The city district named in the folded text (whole name or a part: "Schei", "Noua")."""
        words = " " + fold_words(f) + " "
        for k in sorted(self.districts, key=len, reverse=True):
            if f" {k} " in words:
                return self.districts[k]
        return None

    @staticmethod
    def _key(name: str) -> str:
        return street_words(name)

    def extract(self, text: str, intent: str) -> dict:
        f = fold_text(text)
        slots: dict = {}
        if intent == "report_issue":
            cat = category(f)
            if cat:
                slots["category"] = cat
        if intent in ("emergency", "report_issue", "pay_tax", "tax_info", "permit_apply", "permit_verify", "office_info",
                      "documents_info", "request_status", "feedback"):
            # where it happens (for the 112 call too), the address asked about, the street of the
            # report whose status is asked or whose repair is praised
            street, number = self.street(text)
            if street:
                slots["street"] = street
            if number:
                slots["number"] = number
        if intent in ("report_issue", "emergency"):
            stop = self.stop_named(text)                   # "the shelter at Roman", "la stația Saturn"
            if stop:
                slots["stop"] = stop
            m = VEHICLE_LINE.search(f)                      # "șoferul de pe 5", "în troleibuzul 6", "on the bus 2"
            ln = m and (m.group(1) or m.group(2)).upper()
            if ln and (not self.lines or ln in self.lines):
                slots["line"] = ln
        if intent == "report_issue":
            slots.update(R.dwelling(f))
            district = self.district(f)
            if district:
                slots["district"] = district
        if intent in ("pay_tax", "tax_info") and FINE.search(f):
            slots["fine"] = True                           # a fine: not a tax, never a tax_type
        elif intent in ("pay_tax", "tax_info") or (intent == "documents_info" and re.search(r"impozit|\btax|\btaxe|evidenta|inregistrar\w* fiscal\w*", f)):
            # the kind named first is the one meant ("the property tax for the flat, the car one I
            # already paid"); two kinds named together ("casa + masina"): ask which
            found = [(re.search(rx, f), t) for t, rx in TAX_RULES]
            kinds = [t for m, t in sorted((p for p in found if p[0]), key=lambda p: p[0].start())]
            if len(kinds) == 1 or (kinds and intent != "documents_info" and not TWO_TAXES.search(f)):
                slots["tax_type"] = kinds[0]               # two kinds named ("casa + masina"): ask which
        if intent in PERMIT_INTENTS:
            # the kind of permit named first is the one asked about ("the building permit's documents?
            # I already have the urbanism certificate")
            found = [(m.start(), p) for p, rx in PERMIT_RULES for m in re.finditer(rx, f)
                     if not ID_PREFIX.fullmatch(m.group(0))]
            if found:
                slots["permit_type"] = min(found)[1]
            elif CU_NOUN.search(text) and sum(c.isupper() for c in text) < len(text) / 3:      # not a message in caps
                slots["permit_type"] = "urbanism_certificate"
            elif intent == "permit_apply" and BUILDING_WORKS.search(f) and not OTHER_PERMIT.search(f) \
                    and re.search(r"autoriza|permit|aprobare|approv", f):
                slots["permit_type"] = "building"
        if intent in ("permit_verify", "permit_apply") or (intent == "documents_info" and VERIFY_CUE.search(f)):
            pid = R.permit_id(f)
            if pid is None and intent == "permit_verify" and PERMIT_NOUN.search(f):
                # "numărul permisului e RZ-0457": a permit named, its number in a request's shape
                rid = R.request_id(f)
                pid = rid if rid and re.search(r"[a-z]", rid, re.I) else None
            if pid:
                slots["permit_id"] = pid
        if intent == "request_status":
            rid = R.request_id(f)
            if rid:
                slots["request_id"] = rid
        if intent == "transport_schedule":
            parts = J.route_parts(f)                       # "de la X la Y": a journey to plan (unscored slots)
            if parts is not None:
                if parts[0]:
                    slots["origin"] = parts[0]
                slots["destination"] = parts[1]
            ln = R.line(f, self.lines)
            if ln:
                slots["line"] = ln
            stop = self.stop(text)
            if parts is not None:
                # a journey: the stop is where it starts ("de la Gară"), never where it goes
                stop = (self.stop(parts[0]) if parts[0] else None) or \
                    (stop if stop is not None and stop != self.stop(parts[1]) and not parts[0] else None)
            if stop:
                slots["stop"] = stop
        if intent == "feedback":
            m = re.search(r"\b([1-5])\b(?![:.]\d| ?(?:am|pm|a\.m|p\.m|dimineata|seara|ore|h)\b)", f)   # not a time
            if m:
                slots["rating"] = m.group(1)
        return slots

    def street(self, text: str) -> tuple[str | None, str | None]:
        """``(canonical street name, house number)`` mentioned in ``text``."""
        if not self.street_keys:
            return None, None
        # (a house number said in words, as voice typing writes it: "strada lungă patruzeci și cinci")
        f = R.spoken_numbers(re.sub(r"[^a-z0-9 .#-]+", " ", fold_text(text)))
        # a first name's initials before a surname ("Gh. Doja", "N. Bălcescu", "I.L. Caragiale"):
        # dropped, the surname is matched (an alias of the whole name, see __init__)
        f = re.sub(r"\b(?:gh|g|n|c|m|i|v|t|d|p|e|h|s|l|mh|nic|dr|gral|gen|lt|col|prof)\.\s*(?=[a-z]{2})", "", f)
        f = re.sub(r"\b(?:[a-z]\.){1,3}\s*(?=[a-z]{3})", "", f)
        tokens = f.replace(".", " . ").split()
        cands = []                                      # (start, end, cutoff, where the mention starts)
        if tokens and not re.fullmatch(STREET_PREFIX, tokens[0]):
            # a message that starts with the street, no kind word ("Zizinului 9, groapă ..."): the
            # first one or two words, matched strictly
            for k in (1, 2):
                span = tokens[:k]
                if len(span) == k and not any(t in self.district_words or t in BARE_STOP or t.isdigit() for t in span) \
                        and len(" ".join(span)) >= 6:
                    cands.append((0, k, 95.0, 0))
        for i, tok in enumerate(tokens):
            if re.fullmatch(STREET_PREFIX, tok) and not (tok in ("al", "cal") and tokens[i + 1:i + 2] != ["."]):
                # ("al" and "cal" only as "al." and "cal.": "certificatul al bunicului" is no Aleea)
                j = i + 1
                while j < len(tokens) and tokens[j] == ".":
                    j += 1
                for k in range(j + 1, min(j + 5, len(tokens) + 1)):
                    cands.append((j, k, 80.0, i))
            if tok in ("street", "st", "road", "avenue", "boulevard") and i > 0:
                for k in range(max(0, i - 4), i):
                    cands.append((k, i, 85.0, k))
            crossing = (tok in ("of", "cu") and i > 0 and any(t in CROSSING_WORDS for t in tokens[max(0, i - 4):i]))
            if tok in BARE_CUES or crossing:         # "pe Mureșenilor 5", "on Lunga": no kind word
                for k in range(i + 2, min(i + 5, len(tokens) + 1)):
                    span = tokens[i + 1:k]
                    if len(span) == 3 and " ".join(span) not in self.streets:
                        continue                         # three words only as a street's whole name
                    if tok == "pe" and len(span) == 1 and span[0] in self.streets and span[0] in self.district_words:
                        # "pe Florilor", "de pe Florilor": on a street that shares a district's name
                        # (one lives *in* a district: "în Florilor", "din Triaj")
                        cands.append((i + 1, k, 92.0, i + 1))
                    elif len(span) >= 2 and " ".join(span) in self.streets and " ".join(span) not in self.districts \
                            and any(t not in self.district_words for t in span) and not any(t.isdigit() for t in span):
                        # a street's whole name, exactly, even with a district's word in it ("pe
                        # Poiana lui Stechil", "de pe Poarta Schei")
                        cands.append((i + 1, k, 92.0, i + 1))
                    elif not any(t in self.district_words or (t.isdigit() and not (t == span[0] and len(span) == 2
                                                                                 and span[1] in MONTHS and tok in ("pe", "cu", "on")
                                                                                 and not DATE_CONTEXT.search(f)))
                               or t in BARE_STOP for t in span) \
                            and len(" ".join(span)) >= 5:
                        cands.append((i + 1, k, 92.0, i + 1))
                    elif len(span) >= 2 and not any(t.isdigit() or t in BARE_STOP for t in span) \
                            and any(t not in self.district_words for t in span):
                        # a district's word inside a misspelt street's name ("pe dealu cetatii"): only
                        # a close match (95)
                        cands.append((i + 1, k, 95.0, i + 1))
        stop = {"pe", "in", "la", "de", "din", "on", "at", "near", "the", "a", "e", "o", "un", "si", "cu", "nr", "."}
        best = (0.0, None, None)
        for s, e, cutoff, at in cands:
            span = tokens[s:e]
            if not span or (span[0] in stop and " ".join(span) not in self.streets) or "." in span or \
                    (len(span) > 1 and span[-1].isdigit()):       # "Strada De Mijloc" starts with "de"
                continue
            if any(t in POSSESSIVES or t in NOT_STREET_WORDS for t in span) and " ".join(span) not in self.streets:
                continue                                 # "pe strada noastră", "on our street", "in Romania"
            if cutoff in (92.0, 95.0) and at > 0 and tokens[at - 1] in ("la", "at", "din", "from") \
                    and any(_stop_place(tokens, k) for k in range(max(0, at - 5), at)) and " ".join(span) in self.stop_keys:
                continue                                 # "stația de autobuz de la Saturn", "the shelter at Saturn"
            if (at > 0 and tokens[at - 1] in STOP_CUES) or tokens[e:e + 1] in (["stop"], ["station"]) or \
                    (cutoff == 92.0 and at > 1 and tokens[at - 1] in ("la", "at") and tokens[at - 2] in STOP_CUES):
                continue                                 # "la stația Piața Unirii", "în stație la Lujerului": a bus stop, not an address
            words = " ".join(span)
            hit = self.streets.get(words)
            score = 100.0 if hit else 0.0
            if not hit:
                # a short word is matched only closely: "pe stradă până la 4" is "on the street
                # until 4", not Strada Padina (a fuzzy 80 of five letters is a guess)
                # a long one-word name one vowel off is still the name ("Muresanilor", 90.9)
                m = process.extractOne(words, self.street_keys, scorer=fuzz.ratio,
                                       score_cutoff=max(cutoff, 90.0) if len(words) <= 5 else
                                       90.0 if cutoff == 92.0 and len(words) >= 10 and " " not in words else cutoff)
                if m:
                    hit, score = self.streets[m[0]], m[1]
            # a street named with its kind word ("pe Calea Poienii") wins over a bare name that
            # matches as well ("scriu in romana": Strada Română): one point less for a bare name
            rank = score - (1.0 if cutoff in (92.0, 95.0) else 0.0)
            if hit and (rank > best[0] or (rank == best[0] and best[2] and e - s > best[2][1] - best[2][0])):
                best = (rank, hit, (s, e, at))
        if best[1] is None:
            best = self._bare_name(tokens)
        if best[1] is None:
            return None, None
        s, e, at = best[2]
        kind = KIND_OF_PREFIX.get(tokens[at]) if at < s else KIND_OF_PREFIX.get(tokens[e]) if e < len(tokens) else None
        name = self.street_kinds.get(self._key(best[1]), {}).get(kind, best[1]) if kind else best[1]
        best = (best[0], name, best[2])
        number = None
        # a house number said with its word, but not one the place is only across from, a range
        # ("de la nr 30 până la 60"), a "bis" or an unsure one ("nr. 7? sau 9") (issue 15)
        said = list(re.finditer(r"\b(?:nr|no|numarul|numarului|number)\.?\s*(\d{1,4}[a-z]?)\b(?![/.-]\d)", f))
        m = next((m for m in said
                  if not re.search(r"(?:vis-?a-?vis|vizavi|opposite|across from)(?: de| of)?\s*$", f[:m.start()])
                  and not re.match(r"\s*(?:bis\b|\??\s*(?:sau|or) \d|pana la|to \d|-\s*\d|in (?:sus|jos)\b|onwards|upwards)", f[m.end():])), None)
        if m:
            number = m.group(1)
        elif not said:                                   # (a number said, but not the place's own: none)
            after = tokens[e:e + 2]
            if after[:1] and not re.fullmatch(r"\d{1,4}[a-z]?", after[0]) and after[0] not in ("nr", "no", "#"):
                after = after[:1]                        # "…, block 2": the block's number, not the house's
            for k, t in enumerate(after):
                if re.fullmatch(r"\d{1,4}[a-z]?", t):
                    unit = [w for w in tokens[e + k + 1:e + k + 3] if w != "de"][:1]
                    if unit and unit[0] in ("min", "minute", "minutes", "ore", "hours", "lei", "zile", "days", "ani", "years"):
                        break                            # "la Saturn 35 de min": a time, not a house
                    number = t
                    break
            if number is None and at > 0 and re.fullmatch(r"\d{1,4}[a-z]?", tokens[at - 1]) and \
                    (at < 2 or tokens[at - 2] in ("at", "outside", "la", "near", "by", "from", "of", "behind", "opposite",
                                                  "beside", "past", "to")
                     or tokens[e:e + 1] in (["street"], ["st"], ["road"])):
                number = tokens[at - 1]
        return best[1], number

    def _bare_name(self, tokens: list[str]) -> tuple:
        """A street named with no kind word and no cue before it ("poarta schei are piatra ...",
        "pothole victoriei", "Poiana lui Stechil, da."), as ``street``'s best ``(rank, name, (s, e,
        at))``: a whole name of two or three words exactly, or one long word in a street's genitive
        ("-ului", "-ilor", "-elor") exactly, neither a district's nor a bus stop's name after a stop
        cue. Read only when nothing else was found (issue 15)."""
        for n in (3, 2):
            for i in range(len(tokens) - n + 1):
                span = tokens[i:i + n]
                words = " ".join(span)
                if words in self.streets and words not in self.districts and not any(t.isdigit() for t in span) \
                        and not (words in self.stop_keys and any(_stop_place(tokens, k) for k in range(max(0, i - 4), i))):
                    return (99.0, self.streets[words], (i, i + n, i))
        for i, t in enumerate(tokens):
            if len(t) >= 7 and re.search(r"(?:ului|ilor|elor)$", t) and t in self.streets and t not in self.district_words \
                    and t not in COMMON_WORDS and (i == 0 or tokens[i - 1] not in STOP_CUES):
                return (99.0, self.streets[t], (i, i + 1, i))
        return (0.0, None, None)

    def stop_named(self, text: str) -> str | None:
        """The stop a report is about, only where the message calls it one: the words right after
        "stația"/"stop"/"shelter at" (or before "stop"), matched to the feed's stop names.
        Elsewhere a stop name is an everyday word too often ("Spital", "Case", "Roman")."""
        if not self.stop_keys:
            return None
        tokens = re.sub(r"[^a-z0-9 ]+", " ", fold_text(text)).split()
        sheltered = any(t in ("shelter", "refugiu", "refugiul", "adapost", "adapostul", "stop", "statia", "statie")
                        for t in tokens)
        starts = []
        for i, t in enumerate(tokens):
            if t == "stop" and not _stop_place(tokens, i):
                continue                                   # "indicatorul de stop de la Cometei": a sign
            if t in STOP_CUES or (sheltered and t in ("at", "la", "din", "from")):
                j = i + 1
                while j < len(tokens) and tokens[j] in ("de", "autobuz", "bus", "rat", "ratbv", "the", "at", "din"):
                    j += 1
                starts.append(j)
            if t in ("stop", "station") and i > 0:
                starts += [max(0, i - 3), max(0, i - 2), i - 1]
        for j in starts:
            for n in (3, 2, 1):
                span = " ".join(tokens[j:j + n])
                if len(span) < 4 or j + n > len(tokens):
                    continue
                m = process.extractOne(span, self.stop_keys, scorer=fuzz.ratio, score_cutoff=90)
                if m:
                    return self.stops[m[0]]
        return None

    @staticmethod
    def _destination(tokens: list[str], i: int) -> bool:
        """Whether the words before ``tokens[i]`` make it where one is going ("spre X", "to X",
        "până la X", or "la X" after a "de la"/"din"/"from" origin)."""
        before = tokens[i - 1] if i > 0 else ""
        if before in ("spre", "catre", "to", "towards", "into") or tokens[max(0, i - 2):i] == ["pana", "la"]:
            return True
        return before == "la" and (i < 2 or tokens[i - 2] != "de") and \
            any(t in ("din", "from") or tokens[k:k + 2] == ["de", "la"] for k, t in enumerate(tokens[:i - 1]))

    def stop(self, text: str) -> str | None:
        if not self.stop_keys:
            return None
        tokens = re.sub(r"[^a-z0-9 ]+", " ", fold_text(text)).split()
        best = (0.0, None, 0, False)
        gone = set()                                       # the words of a destination already read
        for n in (3, 2, 1):
            for i in range(len(tokens) - n + 1):
                span = " ".join(tokens[i:i + n])
                if len(span) < 4 or i in gone:
                    continue                               # "to Stadionul Tineretului" is not "Tineretului"
                if span in NOT_A_STOP or self._destination(tokens, i):
                    if span in self.stops:
                        gone.update(range(i, i + n))
                    continue                               # "spre Tractorul", "to Poiana", "din centru"
                if tokens[i + n:i + n + 1] in (["bus"], ["autobuz"], ["autobuzul"], ["shuttle"]) and \
                        span in ("airport", "aeroport", "aeroportul"):
                    continue                               # "the airport bus": the line, not a stop
                m = process.extractOne(span, self.stop_keys, scorer=fuzz.ratio, score_cutoff=90)
                # the stop one leaves from ("de la X", "din X", "from X", "stația X") beats a destination
                origin = i > 0 and tokens[i - 1] in ("la", "din", "from", "statia", "statie", "stop", "at") and \
                    not (tokens[i - 1] == "la" and i > 1 and tokens[i - 2] not in ("de",)) or \
                    (i > 1 and tokens[i - 2:i] == ["de", "la"])
                if m and (origin, m[1], n) > (best[3], best[0], best[2]):
                    best = (m[1], self.stops[m[0]], n, origin)
        return best[1]


class Understander:
    """Language + intent + slots for one message."""

    def __init__(self, model: IntentModel, slots: SlotExtractor):
        self.model = model
        self.slots = slots

    def __call__(self, text: str, default_lang: str = "ro") -> Understanding:
        lang = detect_language(text, default_lang)
        alarm = detect_emergency(text)                     # safety first: before the model
        ranked = self.model.rank(text)
        intent, conf = ranked[0]
        f = fold_text(text)
        if intent in ("report_issue", "feedback", "office_info", "out_of_scope") and REF_CUE.search(f) \
                and STATUS_CUE.search(f):
            intent, conf = "request_status", max(conf, 0.6)
        elif intent in ("permit_apply", "documents_info") and VERIFY_CUE.search(f):
            intent, conf = "permit_verify", max(conf, 0.6)
        elif intent == "request_status" and PERMIT_NOUN.search(f) and not REQUEST_NOUN.search(f):
            # "numărul permisului e RZ-0457": the number of a permit, not of a request
            intent, conf = "permit_verify", max(conf, 0.6)
        elif intent == "request_status" and PERMIT_REF.search(text):
            # "ce status are CU 87/2026?": a permit's own reference, whatever the status words
            intent, conf = "permit_verify", max(conf, 0.6)
        elif (intent == "permit_apply" or (intent == "out_of_scope" and BUILD_WORDS.search(f))) and DOCS_CUE.search(f) \
                and not APPLY_NOW.search(f):
            # "ce hârtii trebuie pregătite înainte să construiesc?": which papers, not the application
            intent, conf = "documents_info", max(conf, 0.6)
        elif intent in ("office_info", "out_of_scope") and TIMES_CUE.search(f) and R.line(f, self.slots.lines):
            # "5M din Măgurele, care e programul de sâmbătă?": a line's timetable, not the office's hours
            intent, conf = "transport_schedule", max(conf, 0.6)
        elif intent in ("report_issue", "out_of_scope", "feedback") and GREET_START.search(f) and INTRO.search(f) \
                and "?" not in f and len(f.split()) <= 16 and not category(f) and not REF_CUE.search(f) \
                and not REPORT_CUE.search(f):
            # "Hi, I'm the caretaker of a block in Tractorul.": a greeting that says who writes,
            # and nothing asked yet
            intent, conf = "greeting", max(conf, 0.6)
        elif intent not in ("feedback", "emergency", "thanks") and PRAISE.search(f) and (not category(f) or FIXED.search(f)):
            # "Bravo, așa da!", "great job on the new shelters": praise of the service is feedback,
            # also when it names the pothole that was fixed (never a new problem with a "bravo")
            intent, conf = "feedback", max(conf, 0.6)
        elif intent == "pay_tax" and JUST_ASKING.search(f):
            # "se poate plăti în rate? nu zic să plătesc acum, doar să știu": a question about paying
            intent, conf = "tax_info", max(conf, 0.6)
        elif intent in ("out_of_scope", "report_issue") and DOC_THING.search(f) and HOW.search(f):
            # "mi-au furat buletinul, cum îmi fac altul?", "how do I get a replacement ID card?"
            intent, conf = "documents_info", max(conf, 0.6)
        elif intent in ("out_of_scope", "report_issue") and TAX_QUESTION.search(f) and not category(f):
            # "cât datorează mama la primărie?", "is he exempt from the yearly money for the flat?"
            intent, conf = "tax_info", max(conf, 0.6)
        elif PERSON_CUE.search(f) and intent != "emergency" and (conf < 0.8 or intent in ("thanks", "out_of_scope")):
            intent, conf = "human_agent", max(conf, 0.8)
        elif conf < 0.6 and "report_issue" in [i for i, _ in ranked[:3]] and REPORT_CUE.search(f) and category(f) \
                and intent not in ("emergency", "request_status") and not (PRAISE.search(f) and FIXED.search(f)):
            # "vreau să reclam zgomot", "I'd like to report noise": a report verb and a category named
            intent, conf = "report_issue", 0.6
        if alarm is not None and alarm.level == "clear" and intent != "emergency" and conf >= CALM_CONFIDENCE \
                and alarm.kind in EVERYDAY_KINDS and not URGENT.search(f) and not PEOPLE.search(f) \
                and not UNMISTAKABLE.search(f):
            # a danger word in a message the model reads, confidently, as something else ("the
            # cable hangs, it is only TV", "smoke from the barbecues"), and no person in danger
            # named (nor any person: PEOPLE): 112 guidance *and* the normal answer
            alarm = Alarm("ambiguous", alarm.kind, alarm.cue, "damped")
        if alarm is not None and alarm.level == "clear":
            intent, conf = "emergency", max(conf, 0.99)
        elif intent == "emergency":
            # the model alone thinks so: guidance anyway, and the next best reading if it is a real one
            model_only = alarm is None
            if model_only and len(f.split()) >= 3:      # "nu acum", "da": too short for the model to tell
                alarm = Alarm("ambiguous", "model", "", "model")
            # the model alone, in a message that says nothing is live / nobody is hurt / a joke:
            # the guidance line and the next reading, as for a negated alarm
            calmed = model_only and (NEGATE.search(f) is not None or CALM.search(f) is not None
                                     or emergency_frame(text) in ("negated", "past"))
            nxt = ranked[1] if len(ranked) > 1 else ("out_of_scope", 0.0)
            negated = alarm is not None and alarm.why == "negated"
            # a danger word about a finished event ("săptămâna trecută a fost un incendiu ...",
            # "last year when the basement flooded") with nothing urgent named (the alarm was only
            # damped): the guidance line and the next reading — the model's word-level certainty
            # about "incendiu" says nothing of when (fourth round)
            past = alarm is not None and (alarm.why == "past" or (alarm.why == "damped" and PAST.search(f) is not None))
            if (conf < 0.6 and nxt[1] >= 0.2) or (model_only and (conf < MODEL_ONLY_EMERGENCY or len(f.split()) < 3)) or \
                    (negated and conf < NEGATED_EMERGENCY) or past or calmed:
                # the message itself says nobody is at risk / a drill / a question: the model
                # must be sure to overrule it (the guidance line is given anyway)
                intent, conf = nxt
        elif conf < 0.6 and intent not in ("greeting", "thanks", "goodbye") and not DOMAIN.search(f) \
                and len(f.split()) <= 2:
            conf = min(conf, 0.3)                            # "hmm asta": too vague to act on; ask
        elif conf < OUT_OF_SCOPE_BELOW and intent != "out_of_scope" and not DOMAIN.search(f) and len(f.split()) >= 3 \
                and not (intent in SOCIAL and conf >= SOCIAL_FLOOR):
            # (a greeting, thanks or an opinion needs no word of the city hall's world: "Sărut mâna,
            # aici e doamna X", "your city is beautiful but ..." stay what the model reads)
            # a real question outside the city hall's world; a vague "hmm asta" is asked about instead
            intent, conf = "out_of_scope", 1.0 - conf
        if alarm is not None and alarm.level == "ambiguous" and alarm.why in ("weak", "damped") and \
                intent in ("out_of_scope", "greeting") and conf < 0.6 and not PAST.search(f):
            intent, conf = "emergency", 0.5                  # "help!", "wires hanging" and nothing else
        if alarm is None and intent != "emergency" and len(f.split()) >= 4 \
                and dict(ranked).get("emergency", 0.0) >= SAFETY_NET:
            alarm = Alarm("ambiguous", "model", "", "net")
        return Understanding(text, lang, intent, conf, self.slots.extract(text, intent), ranked, alarm)
