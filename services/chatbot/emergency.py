"""The emergency detector: runs on every message *before* intent classification.

A citizen who writes about a fire, gas, a fallen live cable, a collapse, someone trapped,
violence or a medical crisis must be told to call 112 first, whatever else the message asks.
A missed emergency costs far more than a false alarm, so this module is built for recall:

* **rules, not a model** — the cues are word stems on the folded text
  (:func:`twin.text.fold_text`: lower case, no diacritics, so "scânteie", "scanteie" and the
  old cedilla "scânteie" all match), in Romanian and English, with the usual misspellings
  ("incediu", "smel of gas"). A rule can be read, tested and argued with; a classifier trained
  on a few hundred examples cannot promise recall on phrasings it never saw.
* **two levels** — :class:`Alarm` ``level="clear"`` (danger to life or health now: the reply is
  112 guidance) or ``level="ambiguous"`` (a danger word in a frame that may not be urgent: "the
  gas bill", "smoke from the bakery every morning", "a tree fell yesterday", "help!"): the reply
  starts with 112 guidance *and* goes on with the normal answer.
* **damping** — words that make a cue non-urgent (a bill, a tax, an exercise, last week, a fire
  *station*'s opening hours, "no smoking") turn a clear alarm into an ambiguous one, never into
  silence: recall first.

>>> detect("Un cablu electric a căzut pe trotuar și scoate scântei").level
'clear'
>>> detect("cat costa gazul la bloc").level
'ambiguous'
>>> detect("vreau sa platesc impozitul") is None
True
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from twin.text import fold_text

__all__ = ["Alarm", "detect", "KINDS"]


@dataclass(frozen=True)
class Alarm:
    """What the detector found.

    Attributes
    ----------
    level
        ``"clear"``: an emergency, reply with 112 guidance; ``"ambiguous"``: 112 guidance first,
        then the normal answer.
    kind
        One of :data:`KINDS` (fire, gas, electricity, ...), for the guidance and the logs.
    cue
        The words that fired (folded), so a reviewer can see why.
    """

    level: str
    kind: str
    cue: str


def _rx(*parts: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in parts))


# Strong cues: each names a danger to life or health happening now. Patterns run on fold_text
# (lower case ASCII); \b guards short words. Typos that citizens really make are listed.
STRONG: dict[str, re.Pattern] = {
    "fire": _rx(r"\bincend\w*", r"\binced\w*", r"\bince[nm]diu", r"\b(?:a |au |e |este |s-a )?luat foc",
                r"\bia foc\b", r"\bfoc(?:ul)?\b", r"\barde\b", r"\bflacar\w*",
                r"\bon fire\b", r"\bfire\b(?! (?:station|department|brigade|alarm test|works|place|wood|pit|hydrant))",
                r"\bflames?\b", r"\bblaz\w+", r"\bburning\b", r"\bis burning\b", r"\bcaught fire\b"),
    "smoke": _rx(r"\bfum\b", r"\bfumul\b", r"\bfumeg\w*", r"\bplin de fum\b", r"\bsmoke\b(?! detector battery)",
                 r"\bsmoky\b", r"\bsmoking\b(?! area| ban| zone)"),
    "gas": _rx(r"\bmiroase (?:puternic |tare |a |foarte tare )*(?:a )?gaz", r"\bmiros(?:ul)? (?:puternic )?de gaz",
               r"\bscurgere de gaz", r"\bgaz(?:e|ul)?\b", r"\bbutelie\w*", r"\bgas leak", r"\bsmell\w* (?:\w+ ){0,3}gas\b",
               r"\bsmel (?:of )?gas", r"\bgas smell", r"\bleaking gas", r"\bgas\b(?! (?:bill|station|price|tax|meter reading))",
               r"\bmonoxid", r"\bcarbon monoxide", r"\bco alarm", r"\bco detector", r"\bdetector\w* de (?:gaz|fum|monoxid) (?:\w+ )?(?:suna|piuie|bip\w*)",
               r"\b(?:gas|smoke|co) (?:detector|alarm) (?:is )?(?:beeping|going off|ringing)"),
    "electricity": _rx(r"\bcablu\w* (?:\w+ ){0,2}(?:cazut|rupt|atarna|pe jos|scoate|desprins)",
                       r"\bcazut (?:\w+ ){0,2}(?:cablu\w*|fir\w* electric\w*|stalp\w* (?:de curent|electric\w*))",
                       r"\bfir\w* (?:electric\w* |de curent )(?:\w+ ){0,2}(?:cazut|rupt|atarna|pe jos)",
                       r"\bscantei\w*", r"\bscanteie\w*", r"\bscanteaza", r"\belectrocut\w*", r"\bcurentat\w*",
                       r"\bla prins curentul", r"\bsub tensiune", r"\bsparks?\b", r"\bsparking\b", r"\blive wire", r"\bfire\w* (?:electric\w* |de curent )?(?:sunt |au cazut )?pe (?:jos|strada|trotuar|drum)",
                       r"\bstalp\w* (?:de electricitate|de curent|electric\w*) (?:s-a )?(?:rupt|cazut|prabusit)",
                       r"\b(?:power|electric\w*) (?:line|cable|wire)s? (?:\w+ ){0,3}(?:down|fell|fallen|hanging|on the)",
                       r"\bwires? (?:\w+ ){0,2}(?:down|fell|fallen|hanging)", r"\belectrocut\w*", r"\bgot a shock"),
    "collapse": _rx(r"\bs-a (?:prabusit|surpat|daramat|naruit)", r"\bprabus\w*", r"\bnarui\w*",
                    r"\b(?:building|roof|balcony|wall|ceiling|bridge|house|scaffold\w*) (?:\w+ ){0,2}(?:collapsed|collapsing|caved in|fell down|came down)",
                    r"\bcollapsed on\b", r"\bcave[ds]? in", r"\bbalconul a cazut", r"\btavanul a cazut",
                    r"\bzidul a cazut", r"\bacoperisul a cazut", r"\bcutremur\w*", r"\bearthquake"),
    "trapped": _rx(r"\b(?:prins|prinsa|prinsi|blocat|blocata|blocati|captiv\w*) (?:sub|in|intre)\b",
                   r"\bnu (?:mai )?poate iesi", r"\bnu (?:mai )?pot iesi", r"\btrapped", r"\bstuck (?:under|inside|in the rubble)",
                   r"\bpinned (?:under|down)", r"\bcan'?t get out", r"\bcannot get out", r"\bsub daramaturi",
                   r"\bunder (?:it|the tree|the rubble|the car)", r"\bsomeone (?:is )?under"),
    "violence": _rx(r"\bbataie\b", r"\bse bat\b", r"\b(?:ma|o|il|ne|te|le|ii) bate\b", r"\bbatut\w* (?:de|crunt|rau|zdravan)", r"\binjunghi\w*", r"\bcutit\w*", r"\bpistol\w*",
                    r"\barma\b", r"\bagresat\w*", r"\bagresiv\w*", r"\bataca\w*", r"\batacat\w*", r"\bviolen\w*",
                    r"\bma loveste", r"\bisi bate\b", r"\bbate (?:un |o |pe )?(?:sotia|copil\w*|nevasta|femei\w*|mama|tata|batran\w*|om|barbat\w*)", r"\bne loveste", r"\bameninta\w* cu", r"\bviol\b", r"\bjefuit\w*", r"\btalhar\w*",
                    r"\bstab\w*", r"\bknife", r"\bgun\b", r"\bshot\b", r"\bshooting", r"\battack\w*", r"\bassault\w*",
                    r"\bbeating\b", r"\bbeaten\b", r"\bhitting (?:her|him|me|us|a)", r"\bfight(?:ing)?\b",
                    r"\bthreaten\w* (?:to kill|with)", r"\brobbed", r"\bmugged", r"\bkidnap\w*", r"\brape",
                    r"\btopor\w*", r"\b(?:o|il|ii|ma|ne|te|le) loveste", r"\bhits? (?:her|him|me|us|them)\b",
                    r"\bse aude (?:cum )?tipa", r"\b(?:tipa|striga) dupa ajutor", r"\bscreaming for help", r"\bcries for help", r"\baxe\b", r"\bmachete", r"\bbate\b(?= cu)", r"\bcu bate\b", r"\bameninta\w*",
                    r"\bthreaten\w*", r"\bam fost atacat\w*", r"\bmi-?au luat (?:geanta|telefonul|portofelul)"),
    "medical": _rx(r"\bnu (?:mai )?respira", r"\bnu respir", r"\binconstient\w*", r"\blesin\w*", r"\bl-?a lovit",
                   r"\binfarct", r"\batac (?:de )?cord", r"\batac cerebral", r"\bavc\b", r"\bconvulsi\w*", r"\bcriza de (?:epilepsie|astm|inima|hipogl\w*)",
                   r"\bsanger\w*", r"\bsange\b", r"\bsufoc\w*", r"\bse ineaca", r"\binec(?:at|ata|ati|ul)?\b", r"\bnu se (?:mai )?misca",
                   r"\b(?:a )?cazut (?:si|și) nu", r"\bdurer\w* (?:puternic\w* )?(?:in|de) piept", r"\bma doare (?:\w+ ){0,2}pieptul",
                   r"\bdoare pieptul", r"\bpiept(?:ul)?\b", r"\bchest\b", r"\btipete\b", r"\bscreaming\b", r"\bsupradoz\w*", r"\botravit\w*", r"\bintoxica\w*", r"\bmuscat de (?:un )?(?:caine|sarpe)",
                   r"\bnot breathing", r"\bisn'?t breathing", r"\bstopped breathing", r"\bcan'?t breathe", r"\bunconscious",
                   r"\bpassed out", r"\bfainted", r"\bcollapsed\b", r"\bheart attack", r"\bstroke\b", r"\bseizure",
                   r"\bbleed\w*", r"\bblood\b", r"\bchok\w*", r"\bdrown\w*", r"\bchest pain", r"\bchest hurts",
                   r"\boverdose", r"\bpoison\w*", r"\bnot moving", r"\bwon'?t wake up", r"\bnu se trezeste",
                   r"\bambulan\w*", r"\bsalvarea\b", r"\bsmurd",
                   r"\bcazut\w* (?:\w+ ){0,4}si nu (?:mai )?(?:raspunde|se misca|respira|se trezeste|isi revine)",
                   r"\bintins\w* pe jos", r"\bzace\b", r"\bnu (?:mai )?(?:isi|si) revine", r"\bnu-?si (?:mai )?revine",
                   r"\bcazut de (?:la|pe) (?:etaj|bloc|balcon|acoperis|geam|fereastra|scara)", r"\bfell (?:from|off) (?:the |a )?(?:balcony|roof|window|ladder|scaffold\w*|\w+ floor)",
                   r"\bpierdut cunostinta", r"\blost consciousness", r"\bunresponsive", r"\bnot responding", r"\bnu reactioneaza",
                   r"\blips (?:are |turned )?blue", r"\bbuzele (?:\w+ )?vinete", r"\bswallowed (?:\w+ )?(?:bleach|poison|pills|batter\w*|detergent|chemicals|something)",
                   r"\ba inghitit (?:\w+ )?(?:inalbitor|otrava|pastile|o baterie|detergent|ceva)", r"\ballergic reaction", r"\banaphyla\w*",
                   r"\bsoc anafilactic", r"\bthroat (?:is )?(?:swelling|closing)", r"\bi se umfla gatul", r"\bvars\w* sange",
                   r"\bvomit\w* blood", r"\batac de panica", r"\bpanic attack", r"\bisi face rau", r"\bsa-?si faca rau",
                   r"\bhurt (?:himself|herself|myself|themselves)", r"\bself.harm", r"\bsa-?si ia viata", r"\bfebra (?:\w+ )?mare",
                   r"\bhigh fever", r"\btook (?:too many|a lot of|an overdose of|a bunch of) (?:\w+ ){0,2}(?:pills|tablets|medicine\w*)",
                   r"\bprea multe (?:pastile|medicamente|comprimate)", r"\bfell (?:through|into) the ice", r"\b(?:prin|sub) gheata\b", r"\bnu mai are aer", r"\bcan'?t get (?:any )?air"),
    "accident": _rx(r"\baccident\w*", r"\brasturnat\w* (?:o |un )?(?:masina|autobuz\w*|camion\w*|tir\w*|microbuz\w*)",
                    r"\b(?:masina|autobuzul|camionul|tirul) (?:s-a )?rasturnat", r"\bcrash\w*", r"\bcollision",
                    r"\bhit by a car", r"\blovit\w* de (?:o |un )?(?:masina|autobuz|tir|camion)", r"\b(?:fell|fallen|went|drove|crashed|ran) (?:in|into) (?:the )?(?:river|lake|water|well)", r"\bstuck in (?:a|the|his|her) (?:car|vehicle)", r"\ba cazut in (?:rau|lac|apa|fantana)", r"\blovit de (?:o )?masina", r"\bcalcat de (?:o )?masina", r"\bran(?:it|ita|iti)\b",
                    r"\braniti\b", r"\bvictim\w*", r"\binjur\w*", r"\bhurt\b", r"\bbadly hurt", r"\bbroken (?:leg|arm|neck)",
                    r"\bintrat (?:\w+ ){0,2}in (?:pietoni|oameni|multime|lume)", r"\bdrove (?:into|through) (?:the |a )?(?:crowd|people|pedestrians)",
                    r"\bhit by (?:a |the )?(?:bus|car|truck|tram|van|lorry)", r"\blovit\w* de (?:un |o )?(?:autobuz|tramvai|camion|duba)",
                    r"\ba lovit (?:un |o )?(?:om|pieton|copil|femeie|barbat|batran\w*)", r"\bhit (?:someone|a (?:man|woman|child|kid|person|pedestrian))",
                    r"\b(?:cazut|fell) (?:\w+ ){0,2}(?:peste|on|onto) (?:\w+ ){0,3}(?:oameni|om|cineva|copil|someone|people|person|a man|a woman|a child)",
                    r"\bcu oameni in ea", r"\b(?:oameni|om|cineva|persoane|un copil) (?:intins\w* |cazut\w* )?pe jos\b", r"\bwith people (?:in|inside)"),
    "explosion": _rx(r"\bexplo[dzs]\w*", r"\bbubuit\w*", r"\bbomb[aei]?\b", r"\bblast\b", r"\bblew up"),
    "danger": _rx(r"(?:sun\w*|call\w*|dial\w*|apel\w*) (?:la |the )?112\b", r"^\W*112\b", r"\bsunati (?:la )?(?:pompierii|politia|salvarea)", r"\bpompier\w*",
                  r"\bpericol (?:de moarte|de viata|iminent)", r"\bin pericol\b", r"\bne omoara", r"\bsa moara\b",
                  r"\bmoare\b", r"\bsinucid\w*", r"\bsa sara de pe", r"\bjump (?:off|from)", r"\bsa ma omor", r"\bkill (?:myself|himself|herself)", r"\bsuicid\w*",
                  r"\bcall (?:an )?(?:ambulance|the police|the fire)", r"\blife.threatening", r"\bin danger\b",
                  r"\bdying\b", r"\bsomeone (?:is )?(?:dead|dying)", r"\burgen\w* medical\w*", r"\bmedical emergency",
                  r"\bemergency\b", r"\burgenta\b"),
    "flood": _rx(r"\binundat\w* (?:casa|apartamentul|subsolul|locuinta)", r"\bapa (?:a )?intra\w* in casa",
                 r"\bwater (?:is )?(?:coming|pouring) into (?:the|my|our) (?:house|flat|home)",
                 r"\bflood\w* (?:the|my|our) (?:house|flat|home|basement)"),
}
# Phrases that look like a cue and are not one: removed before matching ("nu ard becurile" is a
# street light, "fire station" a place, "gas station" a petrol station).
SAFE = _rx(r"\bnu (?:mai )?ard\w*", r"\b(?:bec\w*|felinar\w*|lamp\w*|stalp\w*|iluminat\w*|lumin\w*) (?:\w+ ){0,3}ard\w*",
           r"\bard\w* (?:\w+ ){0,2}(?:bec\w*|felinar\w*|lamp\w*|lumin\w*)", r"\bfire (?:station|department|brigade)\w*",
           r"\bgas station\w*", r"\bbenzinari\w*", r"\bpolitia locala", r"\bstatia de pompieri", r"\bfire (?:exit|extinguisher|escape|safety|door|drill|hydrant)\w*",
           r"\bdying to\b", r"\bbataie de joc", r"\bbatai de cap", r"\b(?:could|might|may|will) get hurt", r"\bs-?ar putea rani", r"\bse poate rani", r"\bfire insurance",
           r"\basigurare\w* (?:\w+ )?incendiu", r"\bmor de (?:ras|foame|curiozitate|plictiseala|sete)", r"\b(?:nearly|almost) (?:crash|hit)\w*",
           r"\baproape (?:sa )?(?:se )?(?:loveasca|ciocneasca|accident\w*)", r"\bshoot\w* (?:a |the )?(?:film|movie|video|photos?|scene)",
           r"\barse? (?:\w+ ){0,2}bec\w*", r"\bsediu\w* (?:\w+ )?pompier\w*", r"\b(?:car|phone|laptop) battery is dead", r"\bdead (?:battery|tree|pigeon|bird|animal|rat|cat|dog|end)", r"\bbec\w* ars\w*", r"\bnu (?:mai )?arde\b")
# Weak cues: a danger is possible, not certain. They give an ambiguous alarm.
WEAK = _rx(r"^\s*(?:ajutor|help|sos)\W*$", r"\bs-a surpat\b", r"\bsurpat\w*", r"\bpolitia\b", r"\bpolice\b", r"^\W*ajutor\b", r"^\W*help\b", r"\bpericulos\w*", r"\bdangerous\b",
           r"\bdanger\b", r"\bcopac (?:\w+ ){0,3}cazut", r"\bfallen tree", r"\btree (?:\w+ ){0,3}(?:fell|fallen|down)",
           r"\bcable\w* (?:\w+ ){0,3}(?:down|hanging)",
           r"\bcablu\w*", r"\bwires?\b", r"\binundat\w*", r"\bflood\w*", r"\bgheata pe trotuar", r"\bpolei",
           r"\bcapac\w* (?:de canal )?(?:lipsa|lipseste|furat)", r"\bmissing manhole", r"\bmanhole (?:\w+ )?missing",
           r"\bcaine\w* (?:agresiv|fara stapan)", r"\bstray dogs?", r"\blift\w* (?:blocat|oprit)", r"\bstuck in the lift",
           r"\bstuck in (?:an |the )?elevator", r"\bcopil\w* (?:singur|pierdut)", r"\blost child", r"\bmissing (?:child|person)")
# Frames that make a strong cue possibly non-urgent: clear → ambiguous (never → silent).
DAMP = _rx(r"\bsediu\w*", r"\badres\w*", r"\bunde (?:e|este|se afla)\b", r"\bwhere is\b", r"\bfactur\w*", r"\bbill\b", r"\bpret\w*", r"\bprice\b", r"\bcost\w*", r"\bcat (?:costa|e)\b", r"\btax\w*\b", r"\bimpozit\w*", r"\bplat\w*\b",
           r"\bpay\w*", r"\bcontor\w*", r"\bmeter\b", r"\bexercitiu\w*", r"\bdrill\b", r"\bieri\b", r"\byesterday\b",
           r"\bsaptamana trecuta", r"\banul trecut", r"\bacum un an", r"\blast (?:week|month|year)\b", r"\bluna trecuta", r"\bacum \w+ (?:zile|saptamani|luni|ani)",
           r"\b(?:\w+ )?(?:days|weeks|months|years) ago\b", r"\bde (?:o|doua|trei) (?:zile|saptamani|luni)",
           r"\bprogram\w*\b", r"\bopening hours", r"\bdocument\w*", r"\bacte\b", r"\bautoriza\w*", r"\bpermit\w*",
           r"\bnu e (?:o )?urgent\w*", r"\bnot (?:an )?(?:urgent|emergency)", r"\bno smoking\b", r"\bfumatul interzis",
           r"\bgratar\w*", r"\bbarbecue", r"\bbbq\b", r"\bsemineu\w*", r"\bfireplace", r"\bcos(?:ul)? de fum",
           r"\bchimney", r"\bartificii", r"\bfireworks?", r"\bsesizare\w*", r"\bcererea\b", r"\bstatus\w*",
           r"\bdosar\w*", r"\bfeedback", r"\bfilm\w*", r"\bjoc\w*\b", r"\bgame\w*\b", r"\bmeci\w*", r"\bmatch\b",
           r"\bistori\w*", r"\bhistory", r"\bce (?:inseamna|e|este) 112", r"\bwhat is 112", r"\bnumarul 112\b",
           r"\bsecuritate\w*", r"\bsafety (?:tips|advice)",
           r"\bcum (?:sa |pot )?previn", r"\bhow (?:do i|to|can i) prevent", r"\bcentral\w* termic\w* (?:revizie|verificare)",
           r"\brevizi\w*", r"\binspection")
# Words of life-threatening immediacy that keep an alarm clear even in a damped frame.
URGENT = _rx(r"\bchiar acum\b", r"\bright now\b", r"\bacum (?:iese|arde|e foc|se|curge|miroase)", r"\brepede\b", r"\bquick\w*",
             r"\burgent\w*", r"\bajutor\w*", r"\bhelp\b", r"\bnu respira", r"\bnot breathing", r"\bprins\w* sub",
             r"\btrapped", r"\bsanger\w*", r"\bbleeding", r"\binconstient", r"\bunconscious", r"\bsomeone\b",
             r"\bcineva\b", r"\bcopil\w*", r"\bhurt\b", r"\binjured\b", r"\bran(?:it|ita|iti)\b", r"\bvictim\w*", r"\bpeople\b", r"\boameni\b", r"\bchild\w*", r"\bkids?\b", r"\bbaby\b", r"\bbebe\w*")


def detect(text: str) -> Alarm | None:
    """The alarm ``text`` raises, or None.

    Parameters
    ----------
    text
        A citizen's message as typed (any case, with or without diacritics).

    Returns
    -------
    Alarm or None
        ``level="clear"`` when a strong cue fires and nothing makes it non-urgent;
        ``"ambiguous"`` when a strong cue fires in a damping frame (a bill, last week, opening
        hours ...) or only a weak cue fires ("help!", a fallen tree, a hanging cable); None
        otherwise.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    f = SAFE.sub(" ", fold_text(text).replace("\u2019", "'"))
    for kind, rx in STRONG.items():
        m = rx.search(f)
        if m:
            if DAMP.search(f) and not URGENT.search(f):
                return Alarm("ambiguous", kind, m.group(0))
            return Alarm("clear", kind, m.group(0))
    hit = _fuzzy(f)
    if hit:
        return Alarm("ambiguous" if DAMP.search(f) and not URGENT.search(f) else "clear", hit[0], hit[1])
    fixed = _respell(f)
    if fixed != f:                               # a misspelt cue ("gaas", "caablu", "suub"): guidance, not certainty
        for kind, rx in STRONG.items():
            m = rx.search(fixed)
            if m:
                return Alarm("ambiguous", kind, m.group(0))
    m = WEAK.search(f)
    if m:
        return Alarm("ambiguous", "possible_danger", m.group(0))
    return None


# single words whose misspellings are still read as the word ("icnendiu", "acciddent", "collapssed")
FUZZY = {"incendiu": "fire", "incendiul": "fire", "accident": "accident", "accidentul": "accident",
         "explozie": "explosion", "explodat": "explosion", "exploded": "explosion", "explosion": "explosion",
         "collapsed": "medical", "unconscious": "medical", "inconstient": "medical", "lesinat": "medical",
         "bleeding": "medical", "sangereaza": "medical", "infarct": "medical", "injured": "accident",
         "ranit": "accident", "raniti": "accident", "stabbed": "violence", "injunghiat": "violence",
         "breathing": "medical", "respira": "medical", "trapped": "trapped", "prabusit": "collapse",
         "pompierii": "fire", "ambulanta": "medical", "ambulance": "medical", "emergency": "danger",
         "urgenta": "danger", "flacari": "fire", "electrocutat": "electricity", "scantei": "electricity"}
_FUZZY_WORDS = list(FUZZY)
# the literal words of the strong cues, to respell a message's near misses onto
_GENERIC = {"the", "and", "with", "under", "into", "from", "mai", "are", "has", "out", "down", "fell", "came", "come",
            "someone", "inside", "people", "after", "line", "lines", "cable", "cables", "wire", "wires", "nobody"}
_CUE_WORDS = sorted({w for rx in STRONG.values() for w in re.findall(r"\b[a-z]{3,}\b", re.sub(r"\\[a-zA-Z]|\?<?[!=:]", " ", rx.pattern))}
                    - _GENERIC)
_CUE_SET = frozenset(_CUE_WORDS)
# everyday words one letter away from a cue word ("might"/"fight", "slab"/"stab"): never respelt
_COMMON = frozenset("might night right light tight sight eight fine line mine wire hire tire fires sire slab stay "
                    "shot shop shut hurry harm farm form fume fare care bleep sleep ring king bate date gate fate "
                    "lines ride wide side tide rate late mate hate gaze daze haze soft left doing going".split())
_SHORT_CUES = ("ga", "fu", "fo", "su", "ar")      # gaz/gas, fum, foc, sub, arde: short words respelt too
_GLUE = ("din", "de", "la", "pe", "in", "si", "the", "of", "on")


@lru_cache(maxsize=1)
def _known_words() -> frozenset:
    """Words of the chatbot's training set seen at least 3 times: real words, never respelt."""
    from collections import Counter

    from services.chatbot.training import examples

    counts = Counter(w for t, _, _ in examples() for w in re.findall(r"[a-z]+", fold_text(t)))
    return frozenset(w for w, n in counts.items() if n >= 3) - set(_CUE_WORDS)


def _respell(f: str) -> str:
    """``f`` with each unknown word of 4+ letters one edit from a cue word replaced by it, and a
    cue glued to a short word split ("fumdin" → "fum din")."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    cues = _CUE_SET
    known = _known_words() | _COMMON
    out = []
    for tok in f.split(" "):
        word = tok.strip(".,!?;:()\"'")
        if len(word) >= 4 and word.isalpha() and word not in cues and word not in known and \
                (len(word) >= 5 or word[:2] in _SHORT_CUES):
            glued = next((word[:-len(g)] + " " + g for g in _GLUE
                          if word.endswith(g) and word[:-len(g)] in cues), None)
            if glued:
                tok = glued
            else:
                near = process.extractOne(word, _CUE_WORDS, scorer=Levenshtein.distance, score_cutoff=1)
                # a typo keeps, below 6 letters, the word's first letter
                if near and (near[0][0] == word[0] or len(word) >= 6) and not (word.endswith("s") and
                                                                           near[0] == word[:-1]):
                    tok = near[0]
        out.append(tok)
    return " ".join(out)


def _fuzzy(f: str) -> tuple[str, str] | None:
    from rapidfuzz import fuzz, process

    for tok in re.findall(r"[a-z]{6,}", f):
        m = process.extractOne(tok, _FUZZY_WORDS, scorer=fuzz.ratio, score_cutoff=84)
        if m:
            return FUZZY[m[0]], tok
    return None


KINDS = tuple(STRONG) + ("possible_danger",)
