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

__all__ = ["Alarm", "detect", "frame", "KINDS", "URGENT", "PEOPLE", "UNMISTAKABLE"]


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
    why
        For an ambiguous alarm, what made it so: ``"negated"`` (the message says nobody is at
        risk, or it is a drill, a dream, a question asked to learn), ``"damped"`` (a bill, last
        week, opening hours ...), ``"past"`` (an event anchored in the past and nothing urgent
        now: :data:`PAST_EVENT`), ``"respelt"`` (a cue read from a misspelt word) or ``"weak"``
        (only a weak cue: "help!", a fallen tree), ``"model"`` (no cue, the model reads an
        emergency) or ``"net"`` (no cue, another reading, but the model's probability of an
        emergency is at least :data:`services.chatbot.nlu.SAFETY_NET`); ``""`` for a clear alarm.
    """

    level: str
    kind: str
    cue: str
    why: str = ""


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
                       r"\b(?:power|electric\w*) (?:line|cable|wire)s? (?:\w+ ){0,3}(?:down|fell|fallen|hanging|on the|snapped|lying)",
                       r"\bwires? (?:\w+ ){0,2}(?:down|fell|fallen|hanging)", r"\belectrocut\w*", r"\bgot a shock"),
    "collapse": _rx(r"\bs-a (?:prabusit|surpat|daramat|naruit)", r"\bprabus\w*", r"\bnarui\w*",
                    r"\b(?:building|roof|balcony|wall|ceiling|bridge|house|scaffold\w*) (?:\w+ ){0,2}(?:collapsed|collapsing|caved in|fell down|came down)",
                    r"\bcollapsed on\b", r"\bcave[ds]? in", r"\bbalconul a cazut", r"\btavanul a cazut",
                    r"\bzidul a cazut", r"\bacoperisul a cazut",
                    # an earthquake is one now ("e cutremur", "the building is shaking"), not a topic
                    # ("earthquake zone", "afectată de cutremur"): the word alone is a weak cue (WEAK)
                    r"\b(?:cutremur|earthquake)\w*\b(?=.{0,100}\b(?:acum|now|adineauri|de azi|tocmai|se misca|se clatina|se zguduie|tremura|shaking|moving|swaying)\b)",
                    r"\b(?:acum|now|tocmai|just (?:had|felt))\b.{0,60}\b(?:cutremur|earthquake)"),
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
def _widen(kind: str, *parts: str) -> None:
    """Add cues to a kind of :data:`STRONG` (or start a new kind)."""
    old = [STRONG[kind].pattern] if kind in STRONG else []
    STRONG[kind] = re.compile("|".join(old + [f"(?:{p})" for p in parts]))


# A second wave of cues, from a fresh probe of situations the first list did not name (see
# data/emergency_probe2.jsonl): people trapped in a vehicle, burglars and stalkers, thoughts of
# suicide, cold and strokes, children at windows, live wires touching things, falls from
# scaffolding, and Brașov's bears and boars in the streets.
_widen("trapped", r"\b(?:is|are|e|este|sunt|a ramas|au ramas) (?:inca |still )(?:blocat\w* |prins\w* |stuck |trapped )?"
                  r"(?:inauntru|inside|in (?:the |a |his |her )?(?:car|masina|lift|elevator))",
       r"\bblocat\w* (?:[\w']+ ){0,2}inauntru", r"\bstuck inside", r"\bupside down", r"\bcu rotile in sus",
       r"\b(?:soferul|pasager\w*|driver|passengers?) (?:[\w']+ ){0,3}(?:blocat\w*|prins\w*|stuck|trapped)")
_widen("violence", r"\b(?:imi|ne|ii|i|le|iti) sparg\w* (?:usa|geam\w*|casa|masina)", r"\bsparge\w* usa",
       r"\bintr\w* (?:[\w']+ ){0,3}cu forta", r"\bforteaza (?:usa|yala|geamul)", r"\bbreak(?:ing|s)? in(?:to)?\b",
       r"\bbroke in(?:to)?\b", r"\bburglar\w*", r"\bintruder\w*", r"\bspargator\w*", r"\bhot\w* in (?:casa|apartament\w*|curte)",
       r"\b(?:ma|ne|o|il|te) urmareste\b", r"\b(?:following|stalking) (?:me|us|her|him)\b",
       r"\bforc\w* (?:the|my|our|a) (?:door|window)")
_widen("danger", r"\bnu (?:mai )?vreau sa (?:mai )?traiesc", r"\b(?:don'?t|do not|dont) want to (?:live|be alive)",
       r"\bwant to die\b", r"\bvreau sa mor\b", r"\bend (?:it all|my life|things)\b", r"\bsa termin cu (?:totul|viata)",
       r"\b(?:se|ma|te) arunc\w* (?:de pe|de la|in fata|sub)", r"\bsa (?:se|ma) arunce (?:de pe|de la|in fata|sub)",
       r"\btake my (?:own )?life", r"\bsa-?mi iau viata\b", r"\bsa-?si ia zilele", r"\bmi-?as lua viata",
       r"\b(?:copil\w*|child\w*|kids?|toddler|baby|bebe\w*|baietel\w*|fetit\w*) (?:[\w']+ ){0,6}(?:pervaz\w*|windowsill|"
       r"window ledge|ledge|marginea (?:balconului|acoperisului|geamului|ferestrei)|balustrad\w*)",
       r"\bpe pervaz\w*\b")
_widen("medical", r"\bhipoterm\w*", r"\bhypotherm\w*", r"\bdegerat\w*", r"\bfrostbit\w*",
       r"\b(?:shiver|shak|tremur|tremura)\w* (?:[\w']+ ){0,6}(?:cold|snow|frig|minus|freezing|ger\b|zapada|-\d+)",
       r"\b(?:snow|zapada|frig|ger|minus \d+|-\d+ (?:de )?grade|freezing) (?:[\w']+ ){0,6}(?:shiver|shak|tremur|nu se misca|not moving|"
       r"can'?t (?:stand|get up|move)|nu (?:se )?poate ridica)",
       r"\bcan'?t (?:stand|get) up\b", r"\bnu (?:se )?(?:mai )?poate ridica", r"\bface (?:is )?droop\w*",
       r"\b(?:can'?t|cannot) (?:talk|speak) (?:properly|clearly|normally)", r"\bslurred speech", r"\bdrooping (?:face|mouth)", r"\bgura (?:i s-a )?stramb\w*",
       r"\bnu (?:mai )?poate vorbi", r"\bconvuls\w*", r"\bwon'?t wake\b", r"\bnu (?:se )?(?:mai )?trezeste",
       r"\b(?:om|omul|femeie|femeia|barbat\w*|batran\w*|copil\w*|persoan\w*|cineva|vecin\w*|bunic\w*) (?:[\w']+ ){0,8}"
       r"nu (?:mai )?se misca", r"\bzace\w*\b", r"\binghitit (?:[\w']+ ){0,2}(?:[\w']+ )?si nu (?:mai )?(?:poate respira|respira)",
       r"\bcazut (?:de|de pe|de la) (?:pe )?(?:schel\w*|scar\w*|acoperis\w*|copac|pod\w*)", r"\bfell (?:off|from) (?:the |a )?(?:scaffold\w*|ladder|roof|tree|bridge)",
       r"\bvomit\w* (?:[\w']+ ){0,3}(?:galben|blood|sange)", r"\bintoxicat\w*")
_widen("electricity", r"\bfire\w* (?:[\w']+ ){0,2}(?:ating|atinge|touch\w*)", r"\bwires? (?:[\w']+ ){0,2}touch\w*",
       r"\bstalp\w* (?:de curent|electric\w*|de electricitate) (?:s-a )?(?:aplecat|inclinat|rupt|cazut|prabusit)",
       r"\blive (?:cable|wire|line)s?", r"\b(?:cable|wire)s? (?:[\w']+ ){0,3}(?:lying|in (?:a |the )?puddle|in (?:the )?water|on the ground)",
       r"\bcablu\w* (?:[\w']+ ){0,3}(?:in apa|in balta)")
_widen("collapse", r"\b(?:bucat\w*|parte) (?:[\w']+ ){0,2}(?:balcon\w*|acoperis\w*|fatad\w*|zid\w*|tavan\w*|tencuial\w*)",
       r"\btencuial\w* (?:[\w']+ ){0,4}cazut", r"\bcazut (?:[\w']+ ){0,2}tencuial\w*", r"\bscaffold\w* (?:[\w']+ ){0,2}(?:came down|fell|collapsed)",
       r"\bschel\w* (?:s-a |a )?(?:prabusit|cazut|daramat)")
_widen("accident", r"\bcazut (?:[\w']+ ){0,6}peste (?:un |o )?(?:trecator\w*|om|oameni|persoan\w*|copil\w*|pieton\w*)",
       r"\b(?:fell|fallen|came down) (?:[\w']+ ){0,6}(?:on|onto) (?:a |the )?(?:passer-?by|pedestrian|man|woman|child|person|people|someone)",
       r"\b(?:a |the )?tree (?:is |fell )?(?:[\w']+ ){0,2}on (?:top of )?(?:a |the )?car\b(?= .*(?:inside|in it|scream|trapped|driver))",
       r"\bintrat (?:[\w']+ ){0,2}in (?:copac|stalp|zid|gard|sant)\b", r"\b(?:crashed|drove|went) into (?:a |the )?(?:tree|pole|wall|ditch)")
_widen("animal", r"\burs(?:ul|ului|oaica|oaice|oaicei|ii|i|uleti|uletii)?\b", r"\bbears?\b", r"\bmistret\w*", r"\bwild boars?",
       r"\blup(?:i|ul|ii)?\b", r"\bwol(?:f|ves)\b",
       r"\b(?:caini|cainii|dogs?|haita|pack of dogs|caine\w*) (?:[\w']+ ){0,4}(?:musc\w*|biting|bit\b|bites|attack\w*|ataca\w*|sfasi\w*|mauling)",
       r"\bmuscat\w* de (?:un |o |niste )?(?:caine|caini|dog)", r"\bbitten by", r"\bm-?a muscat", r"\bl-?a muscat")
_widen("fire", r"\bfo[ck]\b", r"\bmiroase a ars\b", r"\bsmell\w* (?:of )?burning\b")

# ... and a third, from the composed training scenes (services/chatbot/scenes.py) the rules missed.
_widen("medical", r"\bs-a taiat (?:\w+ ){0,2}(?:adanc|rau|grav)", r"\bcut (?:\w+ ){0,2}(?:badly|deep\w*)", r"\bdeep cut",
       r"\b(?:om|omul|femeie|femeia|barbat\w*|batran\w*|copil\w*|persoan\w*|cineva|vecin\w*|bunic\w*|tata|mama|sot\w*|"
       r"fiul|fiica|fetit\w*|baiat\w*|coleg\w*|sofer\w*|muncitor\w*|pieton\w*|biciclist\w*|elev\w*|tanar\w*|doamn\w*) "
       r"(?:[\w']+ ){0,3}nu (?:mai )?raspunde",
       r"\bnu (?:se )?(?:mai )?ridica\b", r"\bswollen (?:throat|tongue|face)", r"\bcan (?:hardly|barely) breathe",
       r"\b(?:man|woman|person|someone|somebody|guy|lady|child|kid|boy|girl|he|she|neighbou?r|colleague|teenager|"
       r"grand\w+|dad|mum|mom|husband|wife|son|daughter|people|worker|driver|cyclist|pedestrian)(?:'s| is| are)? "
       r"(?:[\w']+ ){0,3}(?:lying|laying|lies) (?:[\w']+ ){0,2}(?:on the (?:ground|floor|pavement|street|road)|in the (?:snow|street|road))",
       r"\b(?:isn'?t|is not|not|stopped|aren'?t) moving\b", r"\bblue lips\b")
_widen("accident", r"\b(?:a fost|au fost|was|were|got) (?:lovit\w*|hit|run over|calcat\w*)\b", r"\boverturn\w*", r"\bflipped over")
_widen("violence", r"\bbreak\w* (?:my|our|the|his|her) (?:door|window)", r"\bbat (?:un|o|pe)\b", r"\bbeat(?:ing)? (?:\w+ )?up\b", r"\binarmat\w*", r"\barmed (?:man|men|person|guy)",
       r"\bwith a (?:gun|knife|machete|axe)")
_widen("electricity", r"\b(?:rupt|cazut|prabusit) (?:[\w']+ ){0,2}stalp\w* (?:de curent|electric\w*|de electricitate)",
       r"\b(?:electricity|power|utility|electric) (?:pole|pylon)s? (?:[\w']+ ){0,2}(?:fell|fallen|down|collapsed|came down)",
       r"\bcables? (?:[\w']+ ){0,2}touch\w*")
_widen("collapse", r"\bcazut (?:[\w']+ ){0,1}(?:schel\w*|balcon\w*|tavan\w*|zid\w*|acoperis\w*|fatad\w*)", r"\b(?:balcony|roof|facade|ceiling|wall|chimney|scaffold\w*) (?:[\w']+ ){0,2}fell\b")
_widen("danger", r"\bnu (?:mai )?vrea sa (?:mai )?trai\w*")

# A fourth wave (issue 15, second round): emergencies described, not named — the signs of a
# stroke, a heart attack or a diabetic crisis, someone who cannot get up, people missing (a child
# who did not come home, an elder with dementia out in the cold), hazards inside a home with
# someone vulnerable in it, people buried or hit. Person-qualified where the words alone are
# everyday ("missing" is a cat too; "nu răspunde" is an office too).
_PERSON = (r"(?:copil\w*|baiet\w*|fetit\w*|fiul|fiica|fii\b|bunic\w*|mama|mamei|tata|tatal|sot\w*|vecin\w*|batran\w*|"
           r"doamn\w*|\d+ (?:de )?ani|year old|son|daughter|kid|child|boy|girl|grand\w*|gran|dad|mum|mom|father|mother|"
           r"husband|wife|neighbou?r|old (?:man|lady|woman)|toddler|baby|bebe\w*|friend|prieten\w*|sister|brother|sora|frat\w*|elev\w*|pupil)")
_widen("medical", r"\bnu (?:se )?(?:mai )?poate (?:misca|ridica|merge|sta in picioare)", r"\btip\w* de durere", r"\bscream\w* in pain",
       r"\b(?:can'?t|cannot|couldn'?t) (?:lift|move|feel) (?:his|her|my|one) (?:\w+ )?(?:arm|leg|side|hand|face)",
       r"\bslurr\w*", r"\bvorbe\w* (?:incurcat|aiurea|pelticit)\w*", r"\bvorbeste (?:aiurea|incurcat|pelticit)", r"\btalking nonsense",
       r"\b(?:arm|brat\w*|mana|mainii|side|partea)\b (?:[\w']+ ){0,3}(?:numb|amort\w*)", r"\b(?:numb|amort\w*) (?:[\w']+ ){0,3}(?:arm|brat\w*|mana)\b",
       r"\bnu (?:isi )?(?:mai )?simte (?:o parte|bratul|mana|piciorul|jumatate)", r"\bcan'?t feel (?:one|his|her|the) (?:side|arm|leg)",
       r"\bnu (?:mai )?stie (?:unde (?:se afla|e|este)|cine e)", r"\bdoesn'?t know where (?:he|she) is", r"\bconfuz\w* (?:[\w']+ ){0,2}(?:si|,) (?:transpira|tremura|vomita)",
       r"\bconfused and (?:sweating|shaking|vomiting)", r"\bdiabet\w* (?:[\w']+ ){0,8}(?:confuz\w*|nu (?:mai )?stie|lesin\w*|tremur\w*|transpir\w*|confused|shaking|sweating)",
       r"\bingerat\w*", r"\bpastile multe\b", r"\bmultiple pills", r"\bwhole (?:box|pack|bottle) of (?:pills|tablets)",
       r"\b(?:sweating|transpira) (?:[\w']+ ){0,4}(?:pale|palid\w*)", r"\bpale and sweat\w*", r"\bpalid\w* si transpir\w*",
       r"\binsarcinat\w* (?:[\w']+ ){0,6}sanger\w*", r"\bpregnant (?:[\w']+ ){0,6}bleed\w*",
       r"\b(?:swallowed|inghitit) (?:[\w']+ ){0,2}(?:a |o )?(?:button )?(?:batter\w*|magnet\w*|baterie|magnet)",
       r"\bstrimb\w* gura|\bstramb\w* gura|\bgura (?:[\w']+ ){0,3}stramb\w*", r"\bface (?:[\w']+ ){0,3}droop\w*",
       r"\bclutch\w* (?:his|her|my) chest", r"\bse tine de piept", r"\bvanat\w* la fata", r"\b(?:grey|gray|blue) in the face",
       r"\b(?:sta|traieste|locuieste) singur\w* (?:[\w']+ ){0,6}nu (?:mai )?raspunde|\bnu (?:mai )?raspunde (?:[\w']+ ){0,8}(?:sta|traieste|locuieste) singur\w*",
       r"\blives alone (?:[\w']+ ){0,6}(?:hasn'?t|not|doesn'?t|didn'?t) (?:answer\w*|pick\w* up)|\b(?:hasn'?t|not|doesn'?t|didn'?t) (?:answer\w*|pick\w* up) (?:[\w']+ ){0,8}lives alone",
       r"\bnu (?:mai )?raspunde (?:[\w']+ ){0,4}de (?:ieri|doua zile|trei zile|\d+ zile)")
_widen("missing", _PERSON + r" (?:[\w']+ ){0,8}(?:(?:e |is |has gone |went )?missing|a disparut|au disparut|disparut\w*|s-a pierdut|"
                  r"is lost|got lost|wandered off|nu (?:il|o|ii|-l|-o|l|i) (?:mai )?gasim|can'?t find (?:him|her|them)|"
                  r"never came (?:home|back)|didn'?t come (?:home|back)|hasn'?t come (?:home|back)|nu a (?:mai )?ajuns acasa|"
                  r"nu s-a (?:mai )?intors)",
       r"\b(?:a disparut|disparut\w*|missing|wandered off|s-a pierdut|is lost) (?:[\w']+ ){0,6}(?:alzheimer|dementa|dementia|"
       r"copil|child|kid|\d+ (?:de )?ani|year old)", r"\b(?:alzheimer|dementa|dementia)\w* (?:[\w']+ ){0,8}(?:disparut|plecat|wandered|lost|missing|pierdut)")
_widen("gas", r"\b(?:stove|aragaz\w*|oven|cuptor\w*|hob) (?:[\w']+ ){0,12}(?:doesn'?t answer|not answering|no answer|won'?t answer|nu raspunde|nu deschide)",
       r"\b(?:doesn'?t answer|not answering|nu raspunde|nu deschide) (?:[\w']+ ){0,8}(?:stove|aragaz\w*|oven|cuptor\w*)")
_widen("fire", r"\b(?:soba|sobe\w*|stove|heater|centrala) (?:[\w']+ ){0,4}(?:face|scoate|smok\w*|fum)\b.{0,40}(?:doarme|asleep|bebe|copil|bunic|baby|gran)")
_widen("medical", r"\bnu-?(?:si|\s+isi)? (?:mai )?simte (?:o parte|bratul|mana|piciorul|jumatate)",
       r"\b(?:luat|took|taken|inghitit) (?:prea |too |a lot of |lots of )?(?:multe|many) (?:pastile|medicamente|pills|tablets)")
_widen("danger", r"\b(?:se catara|climbing|climbs|climbed|standing) (?:pe |on |over |peste )?(?:the )?(?:balustrad\w*|railing|pervaz\w*|ledge)")
_widen("violence", r"\b(?:ca|sa) (?:ma|ne|o|il|te) (?:omoara|omoare)\b",
       r"\b(?:screaming|shouting|yelling|threatening|says?|said) (?:[\w']+ ){0,3}(?:kill|murder) (?:me|us|her|him)\b")
_widen("accident", r"\bintrat (?:[\w']+ ){0,2}in (?:copii\w*|elevi\w*|trecator\w*|pieton\w*)", r"\b(?:drove|ran|crashed) into (?:the |some )?(?:kids|children|pupils)",
       r"\b(?:cazut|fell) (?:[\w']+ ){0,2}pe (?:un |o )?(?:om|copil|femeie|barbat|trecator|pieton|oameni)\b",
       r"\bingropat\w*\b", r"\bburied (?:under|in|alive)", r"\bsub (?:zapada|omat) (?:[\w']+ ){0,2}(?:un om|cineva|copil)")
_widen("danger", r"\b(?:copil\w*|child\w*|kids?|toddler|baby|bebe\w*|baietel\w*|fetit\w*) (?:[\w']+ ){0,12}(?:balustrad\w*|railing|pervaz\w*|ledge)",
       r"\b(?:scaun cu rotile|wheelchair|imobilizat\w*|bedridden|la pat)\b.{0,60}\b(?:apa|water|fum|smoke|foc|fire|gaz|gas)\b",
       r"\b(?:apa|water|fum|smoke|foc|fire)\b.{0,60}\b(?:scaun cu rotile|wheelchair|imobilizat\w*|bedridden)\b",
       r"\bfell (?:through|into) (?:the )?(?:ice|lake|river)", r"\bcazut (?:prin|in) (?:gheata|lac|rau)")

# A fifth wave (issue 15, third round), from the *kinds* of emergencies two independent sets
# showed the rules lacked: a building that is giving way with people inside (cracks, leaning,
# creaking — named by what is seen, not "collapse"), an electric arc, a person on the wrong side
# of a railing or the edge of a roof, a decision to end one's life said plainly, a lost child in
# the parent's words ("nu-mi găsesc fetița"), an intruder in the home and a caller hiding, a
# burning smell from a flat where nobody opens.
_BUILDING = (r"(?:perete\w*|zid\w*|casa|casei|cladir\w*|bloc\w*|tavan\w*|balcon\w*|acoperis\w*|hala\w*|hale\w*|"
             r"wall|ceiling|building|house|roof|balcony|block)")
_GIVING_WAY = (r"(?:se (?:inclina|surpa|prabuseste|darama|naruie|crap\w*|lasa|misca|fisureaza)|tro[sz]n\w*|scartai\w*|a cedat|cedeaza|"
               r"(?:is |are )?(?:leaning|creaking|cracking|sagging|collapsing|giving way|moving|shaking)|"
               r"au aparut crapaturi|apar crapaturi|crapaturi (?:noi|mari)|new cracks|cracks? (?:are )?(?:appearing|growing|opening))")
_INSIDE = (r"(?:inauntru|inside|suntem|locatari\w*|familii|familie|oameni|copii|bebe\w*|baby|people|we(?:'re| are)|"
           r"families|residents|tenants|locuiesc|live there|muncitori\w*|workers|sufragerie|dormitor\w*|bucatari\w*|la noi|acasa|"
           r"living room|bedroom|kitchen|(?:our|my) (?:flat|house|home|apartment)|apartamentul (?:meu|nostru))")
_NOANSWER = (r"(?:nu (?:deschide|raspunde) nimeni|nimeni nu (?:deschide|raspunde)|nu (?:mai )?(?:deschide|raspunde)\b|"
             r"(?:nobody|no one|noone) (?:answers|opens|is answering|comes to the door)|no answer|doesn'?t answer|not answering)")
_widen("collapse", r"\b" + _BUILDING + r"\b (?:[\w'-]+ ){0,4}" + _GIVING_WAY + r"(?=.*\b" + _INSIDE + r"\b)",
       r"\b" + _INSIDE + r"\b.{0,80}\b" + _BUILDING + r"\b (?:[\w'-]+ ){0,4}" + _GIVING_WAY,
       r"\bse (?:surpa|prabuseste|darama|naruie) (?:[\w'-]+ ){0,2}" + _BUILDING + r"\b",
       r"\b" + _BUILDING + r" (?:[\w'-]+ ){0,2}se (?:surpa|prabuseste|darama|naruie)\b",
       r"\b(?:a cedat|au cedat|cedeaza|gave way|caved in) (?:[\w'-]+ ){0,2}" + _BUILDING + r"\b(?=.*\b" + _INSIDE + r"\b)")
_widen("electricity", r"\barc(?:uri)? electric\w*", r"\belectric(?:al)? arc\w*", r"\barcing\b",
       r"\b(?:stalp\w*|cablu\w*|fir\w*|transformator\w*|tablou\w*|priz\w*|pole|cable|wire|transformer|socket)\b (?:[\w'-]+ ){0,4}"
       r"(?:scoate|face|arunca|da|throws?|gives? off|spits?) (?:flacari|scantei|fum|sparks|flames|smoke)")
_widen("danger", r"\btermin cu (?:tot|totul|viata)\b", r"\b(?:zice|spune|striga|ameninta|vrea)\w* (?:ca |sa )?(?:se|ma) arunc\w*",
       r"\b(?:marginea|buza) (?:acoperisului|podului|blocului|terasei|balconului|pervazului)",
       r"\bon the (?:edge|ledge) of (?:the |a )?(?:roof|bridge|building|balcony)",
       r"\b(?:partea cealalta|dincolo|cealalta parte) a (?:balustradei|parapetului|gardului podului)",
       r"\b(?:other|wrong) side of the (?:railing|barrier|parapet|fence)",
       r"\bi can'?t go on\b", r"\bno reason to (?:live|go on)", r"\bnu mai am (?:pentru ce|de ce) (?:sa )?trai\w*",
       r"\bsay(?:ing)? goodbye (?:to (?:everyone|everybody|the world)|forever)", r"\bmi-?am luat (?:ramas bun|adio)",
       r"\bam (?:decis|hotarat) (?:ca |sa )?(?:[\w'-]+ ){0,3}(?:termin|ma sinucid|nu mai traiesc)",
       r"\b(?:decided|going) to end (?:it|everything|my life)")
_widen("missing", r"\bnu-?(?:mi|imi|ne|il|o) (?:mai )?(?:gasesc|gasim|gaseste|gasiti) (?:[\w'-]+ ){0,1}(?:baiat\w*|" + _PERSON + ")",
       r"\b(?:can'?t|cannot|couldn'?t) find (?:my|our) (?:[\w'-]+ ){0,2}(?:son|daughter|kid|child|boy|girl|toddler|dad|mum|mom|gran\w*)",
       r"\b(?:am|a|au|ne-a) (?:pierdut|scapat) (?:din ochi )?(?:copil\w*|fetit\w*|baiat\w*|fiul|fiica|bunic\w*)",
       r"\blost (?:my|our) (?:[\w'-]+ ){0,2}(?:son|daughter|kid|child|boy|girl|toddler)\b")
_widen("violence", r"\bm-?am ascuns\b", r"\bne-?am ascuns\b", r"\b(?:i'?m|i am|we'?re|we are) hiding\b",
       r"\bhiding (?:in|under|inside) (?:the |my |a )?(?:closet|wardrobe|bathroom|bed|cupboard)",
       r"\b(?:e |este |a intrat )?cineva (?:strain )?in (?:casa|apartament\w*|curte)\b (?:[\w'-]+ ){0,4}(?:nu trebuia|nu are ce|nu-l cunosc|nu o cunosc|strain)",
       r"\b(?:there'?s |there is )?(?:someone|somebody|a stranger|a man|a guy) (?:is )?(?:in|inside) (?:my|our) (?:house|flat|apartment|home)\b",
       r"\b(?:nu pot vorbi|can'?t talk|cannot talk)\b(?=.*\b(?:ascuns|ascunsa|hiding|cineva|someone|usa|door)\b)")
_widen("fire", r"\b(?:miroase|miros\w*) (?:a |de )?(?:[\w'-]+ ){0,2}ars\b(?=.*" + _NOANSWER + ")",
       r"\b(?:smell|smells|smelling) (?:of )?(?:[\w'-]+ ){0,2}burn\w*(?=.*" + _NOANSWER + ")",
       r"\bburning smell(?=.*" + _NOANSWER + ")")
_widen("trapped", r"\b(?:prins\w*|blocat\w*|inchis\w*|incuiat\w*) (?:[\w'-]+ ){0,2}(?:inauntru|in portbagaj\w*|in masina|in baie|in lift)",
       r"\blocked (?:himself|herself|themselves|in) (?:[\w'-]+ ){0,2}(?:in |inside )?(?:the |a )?(?:car|trunk|boot|bathroom|room)\b(?=.*\b(?:hot|heat|water|not answering|stopped answering|crying|scream\w*|cald|plange)\b)",
       r"\b(?:copil\w*|bebe\w*|child|kid|toddler|baby) (?:[\w'-]+ ){0,4}(?:inchis|incuiat|locked) (?:[\w'-]+ ){0,2}(?:in |inside )?(?:masina|car)\b",
       r"\b(?:inchis|locked) in (?:the |a )?(?:portbagaj\w*|trunk|boot)\b")
_widen("medical", r"\b(?:drank|a baut|au baut|swallowed|a inghitit) (?:[\w'-]+ ){0,3}(?:detergent\w*|dishwasher|bleach|inalbitor|cleaning|solvent|antigel|"
       r"antifreeze|clor|soda caustica|diluant|petrol|gaz lampant|pesticid\w*)", r"\bstopped answering\b",
       r"\bnu (?:se )?(?:mai )?trez\w*")
_widen("danger", r"\b(?:don'?t|do not|dont) want to be (?:here|around) anymore", r"\bnu mai vreau sa (?:fiu|exist)\b",
       r"\b(?:pills|pastilele|pastile) (?:[\w'-]+ ){0,2}(?:in front of me|in fata mea|pregatite)")
_widen("electricity", r"\bapa (?:[\w'-]+ ){0,3}(?:atinge|ajunge la|e la) priz\w*", r"\bwater (?:[\w'-]+ ){0,3}(?:touching|reaching|up to) the (?:sockets|outlets|plugs)")
_widen("flood", r"\bviitur\w*", r"\bapa creste (?:repede|vazand cu ochii)", r"\bwater (?:is )?rising (?:fast|quickly)",
       r"\b(?:apa|water)\b.{0,110}\b(?:scaun cu rotile|wheelchair|imobilizat\w*|bedridden|la pat)\b")
_widen("flood", r"\bflash flood\w*")
_widen("fire", r"\b(?:focul|flacarile|the fire|flames) (?:[\w'-]+ ){0,2}(?:s-a (?:intins|extins)|se (?:intinde|extinde)|(?:is )?spreading|spread)")
_widen("violence", r"\b(?:tipa\w*|striga\w*|strigat) (?:[\w'-]+ )?dupa ajutor", r"\bsparg\w* usa", r"\b(?:incearca|vrea) sa (?:sparga|forteze|intre)\b")
_widen("missing", _PERSON + r" (?:\S+ ){0,8}(?:didn'?t|hasn'?t|never) (?:come|came) (?:home|back)")
_widen("electricity", r"\b(?:cablu\w*|fir\w*) (?:de curent |electric\w* )(?:[\w'-]+ ){0,2}(?:a )?picat")
_widen("medical", r"\b(?:vanat|vinet)\w* (?:la|pe) buze", r"\bun tip (?:[\w'-]+ ){0,8}nu (?:mai )?raspunde")
_widen("collapse", r"\b(?:balcony|balcon\w*|roof|acoperis\w*) (?:is |e )?(?:hanging|atarna) (?:[\w'-]+ ){0,2}(?:off|de pe|desprins)")
_widen("accident", r"\b(?:oameni|om|cineva|persoane|copii|people) (?:lovit\w* |injured |hurt )(?:pe jos|on the ground)")

# A sixth wave (issue 15, fourth round), organised by concept and written from general knowledge
# of how each danger is described (first-aid and 112 guidance: the FAST signs of a stroke, what a
# seizure looks like, a gas leak's rotten-egg smell), not from any test message: each concept's
# lexicon in Romanian (folded, inflections by stem) and English. A third independent set (C)
# showed the earlier waves had fitted the words of sets A and B.
_AGENT = (r"(?:cineva|un (?:om|tip|barbat|individ)|niste (?:oameni|indivizi|tipi)|vecin\w*|someone|somebody|a (?:man|guy)|"
          r"people|they|he|she)")
# weapons and shooting
_widen("violence", r"\b(?:trage|trag|tragea|trageau|a tras|au tras|se trage) (?:[\w'-]+ ){0,3}cu (?:pusca|pistol\w*|arma|arme|carabina|gloante)",
       r"\b(?:pusca|carabin\w*|arma de foc|arme de foc|revolver\w*|pistol\w*)\b", r"\b(?:cu|o|doua|niste) pusti\b(?! (?:au|care|de \d))", r"\bfocuri (?:de arma|de pistol|de pusca|trase)",
       r"\b(?:am auzit|se aud|s-au auzit|auzim) (?:[\w'-]+ ){0,2}(?:focuri|impuscaturi|detunaturi)", r"\bimpusc\w*",
       r"\bgunshots?\b", r"\bgun ?fire\b", r"\bshots? (?:fired|being fired)", r"\b(?:rifle|shotgun|handgun|firearm|gunman|revolver)s?\b",
       r"\b(?:firing|shooting|fired) (?:a |his |her |the )?(?:gun|rifle|shotgun|pistol|weapon)", r"\bshot (?:at|him|her|someone|a man|a woman)\b",
       r"\b(?:waving|pointing|carrying|holding) (?:a |his |her )?(?:gun|knife|weapon|machete|axe|pistol|rifle)",
       r"\b(?:flutura|ameninta|vine|umbla|are) (?:[\w'-]+ ){0,2}cu (?:un |o )?(?:cutit|pistol|arma|topor|maceta|sabie|briceag|bata|ranga)")
# stroke (face, arm, speech), heart, breathing, unconscious, seizure, bleeding, fall, overdose
_widen("medical", r"\b(?:o parte a |jumatate (?:de|din) )?fet(?:ei|ii|ei sale)? (?:[\w'-]+ ){0,2}(?:cazut\w*|lasat\w*|strambat\w*|stramb\w*|paralizat\w*|amortit\w*|asimetric\w*)",
       r"\bfata (?:ii |i-?a )?(?:e |este |s-a )?(?:cazut\w*|lasat\w*|strambat\w*|stramb\w*|asimetric\w*)",
       r"\bvorbe\w* (?:[\w'-]+ ){0,1}(?:incoerent|greu|neclar|ciudat|pelticit|impleticit|fara sens)", r"\bnu (?:mai )?(?:poate|pot|putea) (?:sa )?(?:vorbi|vorbeasca|articula|articuleze)",
       r"\bbolborose\w*", r"\b(?:brat\w*|mana|piciorul|partea) (?:[\w'-]+ ){0,3}(?:moale|moaie|fara vlaga|paralizat\w*|nu (?:il|o|-l|-o|l) (?:mai )?(?:misca|simte|ridica))",
       r"\bparaliz\w*", r"\b(?:arm|leg|hand|side) (?:is |went |has gone |feels )?(?:limp|dead|paraly[sz]ed|numb|weak)\b",
       r"\b(?:can'?t|cannot|couldn'?t|unable to|isn'?t able to) (?:speak|talk|talking|form words|get (?:her|his|the) words out|move (?:her|his) (?:arm|leg|side))",
       r"\b(?:face|mouth|smile) (?:is |has |went )?(?:drooping|droopy|lopsided|twisted|uneven|crooked|sagging|fallen)",
       r"\bspeech (?:is |became |sounds )?(?:slurred|garbled|strange|confused)", r"\bsigns of (?:a )?stroke\b",
       r"\bpalpitati\w* (?:[\w'-]+ ){0,6}(?:ameteal\w*|ametit\w*|lesin\w*|vad (?:incetosat|dublu|negru)|durere|sufoc\w*)",
       r"\b(?:gravida|insarcinata|pregnant)\b(?=.*\b(?:sanger\w*|bleed\w*|dureri|contracti\w*|vad (?:incetosat|ceata|dublu)|blurr\w*|ametit\w*|lesin\w*|dizzy|faint\w*|palpitati\w*|nu (?:mai )?simt (?:copilul|bebe\w*)|can'?t feel the baby))",
       r"\bvad (?:incetosat|dublu|negru in fata)\b(?=.*\b(?:ma simt|brusc|deodata|ameteal\w*|palpitati\w*|durere))",
       r"\b(?:respira|respir) (?:foarte )?(?:greu|cu greu|sacadat|horcait)", r"\bgafai\w*", r"\bse (?:sufoca|ineaca)\b", r"\b(?:struggling|fighting|gasping) (?:to|for) (?:breathe|breath|air)\b",
       r"\b(?:criza|crize) (?:[\w'-]+ ){0,2}(?:epilep\w*|convulsi\w*)|\ba (?:facut|avut|face) (?:o )?criza\b", r"\bse zbate\w*\b", r"\bspume la gura\b", r"\bfoam\w* at the mouth",
       r"\b(?:having|had|has) (?:a )?(?:fit|seizure|convulsion)s?\b", r"\bepilep\w*", r"\bshaking (?:all over|uncontrollably|violently)\b(?=.*(?:floor|ground|pe jos|fell|can'?t|won'?t|not))",
       r"\bfebra (?:de )?(?:peste )?(?:39[,.]\d|4[0-3])\b", r"\bfever (?:of )?(?:4[0-3]|10[4-9])\b",
       r"\bnu (?:mai )?raspunde (?:cand|la) (?:il |o |ii |ma |-l |-o )?(?:strig|strigam|chem|chemam|vorbesc|scutur\w*|atingem|atingi)",
       r"\b(?:doesn'?t|does not|won'?t|isn'?t) (?:respond|answer|react)\w* (?:when|to) (?:i |we )?(?:call|shake|talk|speak|touch)",
       r"\bnu (?:ma|se|te|ne|va|isi) (?:mai )?(?:pot|poate|poti|putem|puteti|pote) (?:ridica|scula|misca)\b", r"\bnu (?:mai )?(?:ma|se) (?:poate|pot) (?:ridica|scula)",
       r"\b(?:can'?t|cannot|couldn'?t|unable to) (?:get|stand) (?:up|back up)\b", r"\b(?:fallen|fell) (?:[\w'-]+ ){0,4}(?:can'?t|cannot|unable to) (?:get|stand|move)",
       r"\b(?:on|lying on) the floor since\b", r"\bpe jos de (?:ieri|azi-?noapte|aseara|azi dimineata|ore|\d+ ore)\b", r"\bcazut\w* (?:[\w'-]+ ){0,4}de (?:ieri|aseara|azi-?noapte|cateva ore|\d+ ore)\b(?=.*\b(?:nu (?:ma|se|mai) (?:pot|poate)|ridic))",
       r"\bsupradoz\w*", r"\boverdos\w*", r"\b(?:a luat|luat|a inghitit) (?:[\w'-]+ ){0,2}(?:toata|tot|o cutie|o folie|un flacon) (?:[\w'-]+ ){0,2}(?:pastile|medicamente|somnifere|comprimate)",
       r"\bsomnifere\b(?=.*\b(?:multe|toate|cutie|nu (?:se )?trez|nu raspunde))",
       r"\bsanger\w* (?:abundent|mult|tare|puternic|intruna|continuu)|\bnu (?:se )?(?:mai )?opreste (?:sangele|sangerarea)|\bbleeding (?:heavily|badly|a lot|profusely|won'?t stop|doesn'?t stop)",
       r"\boparit\w*", r"\bopari\w*", r"\bs-a ars (?:[\w'-]+ ){0,2}(?:cu|la|pe|tot|rau|grav)", r"\barsuri (?:grave|pe|de gradul|mari|intinse)", r"\bscald\w*",
       r"\b(?:burned|burnt|burns) (?:[\w'-]+ ){0,1}(?:hand|hands|arm|arms|face|leg|legs|skin|body|chest|back)\b", r"\b(?:bad|severe|serious|third.degree|second.degree) burns?\b",
       r"\b(?:boiling|hot) (?:water|oil|soup) (?:[\w'-]+ ){0,3}(?:on|over|onto) (?:him|her|his|her|the (?:baby|child|kid)|my)")
# someone alone not seen or answering for days; pills taken by the handful; speech gone
_widen("medical", r"\bnu (?:a )?(?:mai )?(?:raspuns|raspunde|deschis|deschide|iesit|fost vazut\w*) (?:[\w'-]+ ){0,3}de (?:cateva|doua|trei|patru|\d+|multe) zile",
       r"\b(?:hasn'?t|has not|haven'?t|not) (?:been seen|answered|opened (?:the|his|her) door|come out) (?:[\w'-]+ ){0,2}(?:for|in) (?:a few |several |\d+ |two |three )?days",
       r"\b(?:gramada|pumn|mana|multime) de (?:pastile|medicamente|somnifere|comprimate)", r"\b(?:handful|bunch|lot|load)s? of (?:pills|tablets|sleeping pills)",
       r"\bnu (?:mai )?vorbeste\b(?! (?:cu|despre|romaneste|engleza))")
# water, drowning, ice
_WATER = r"(?:rau\w*|raul|apa|lac\w*|olt\w*|timis\w*|canal\w*|bazin\w*|iaz\w*|balta|fantana|river|lake|water|canal|pond|reservoir|pool|well)"
_widen("medical", r"\b(?:a sarit|s-a aruncat|a cazut|au cazut|cazut|s-a scufundat|l-a luat apa|a luat-o apa|a intrat) (?:[\w'-]+ ){0,4}in " + _WATER + r"\b",
       r"\b(?:jump\w*|fell|fall\w*|slipp\w*|went|swept|pulled|drift\w*) (?:[\w'-]+ ){0,4}(?:in|into|under) (?:the |a )?" + _WATER + r"\b",
       r"\b(?:can'?t|cannot|doesn'?t|does not|not|don'?t|he not|she not) (?:know how to )?swim\b", r"\bnu (?:stie|poate) (?:sa )?(?:inoate|inota)\b",
       r"\b(?:s-a|a) scufundat\b", r"\b(?:under|went under|below) the water\b", r"\bsub apa\b(?=.*\b(?:nu|copil|om|cineva|iese))",
       r"\b(?:gheata|ice) (?:[\w'-]+ ){0,2}(?:s-a rupt|s-a spart|a cedat|broke|cracked|gave way)", r"\b(?:s-a rupt|s-a spart|a cedat) gheata",
       r"\b(?:through|prin|sub) (?:the )?(?:ice|gheata)\b", r"\blac\w* inghetat\w*\b(?=.*\b(?:nu (?:mai )?iese|a cazut|s-a rupt|cedat|scufund))",
       r"\bavalans\w*", r"\bavalanche", r"\b(?:ingropat|prins|acoperit)\w* (?:de |sub )?(?:zapada|avalansa)", r"\bburied (?:in|under|by) (?:the )?(?:snow|avalanche)")
# fire, smoke and burning: things burning near fuel, a burning smell indoors
_widen("fire", r"\b(?:ard|ardea|ardeau|arzand|in flacari)\b (?:[\w'-]+ ){0,3}(?:tufe|iarba|vegetati\w*|miristi\w*|gunoa\w*|copaci|padure\w*|masin\w*|case?|garaj\w*|magazi\w*|depozit\w*)",
       r"\b(?:tufe|iarba|vegetati\w*|padure\w*|garaj\w*|magazi\w*|depozit\w*|hal\w*|acoperis\w*|masin\w*|apartament\w*) (?:[\w'-]+ ){0,2}(?:ard|arde|ardea|in flacari)\b",
       r"\b(?:smoke|fum) (?:is )?(?:coming|pouring|iese|ies|vine) (?:[\w'-]+ ){0,3}(?:from|out of|din|de sub|pe sub)", r"\bsmells? (?:of )?(?:smoke|burning plastic|burnt plastic)",
       r"\b(?:grass|brush|bush(?:es)?|forest|wildfire|garage|warehouse|shed|barn)(?: fire)? (?:is |are )?(?:burning|on fire|in flames|ablaze)\b", r"\bwildfire")
# gas and carbon monoxide: the smell (rotten eggs), a pipe hit or broken
_widen("gas", r"\b(?:miros|miroase)\w* (?:[\w'-]+ ){0,3}(?:de |a )?(?:ou[a]? (?:stricat\w*|clocit\w*)|sulf)", r"\brotten eggs?\b",
       r"\b(?:conduct\w*|teav\w*|tub\w*|bransament\w*) (?:de |a )?gaz\w* (?:[\w'-]+ ){0,3}(?:spart\w*|rupt\w*|lovit\w*|avariat\w*|fisurat\w*|sparta|suiera|curge)",
       r"\b(?:spart\w*|rupt\w*|lovit\w*|avariat\w*) (?:[\w'-]+ ){0,2}(?:conduct\w*|teav\w*) (?:de |a )?gaz", r"\bgaz\w* (?:[\w'-]+ ){0,6}(?:conduct\w*|teav\w*) (?:[\w'-]+ ){0,1}(?:spart\w*|rupt\w*|lovit\w*|avariat\w*)",
       r"\b(?:gas )?(?:pipe|main|line)s? (?:[\w'-]+ ){0,2}(?:hit|broken|burst|ruptured|damaged|cracked|hissing)\b(?=.*\bgas\b)", r"\bhissing (?:sound )?(?:from|of) (?:the )?gas",
       r"\b(?:dureri de cap|ameteli|ametit\w*|greata|headache\w*|dizzy|nause\w*) (?:[\w'-]+ ){0,8}(?:centrala|soba|boiler|heater|stove)\b(?=.*\b(?:toti|all of us|familia|whole family|amandoi|both))")
# collapse and structures: cranes, roofs creaking, scaffolding, trees on people
_widen("collapse", r"\b(?:macara|macaraua|macarale|crane)\w* (?:[\w'-]+ ){0,3}(?:se (?:inclina|apleaca|rastoarna|clatina)|inclinat\w*|aplecat\w*|s-a rasturnat|rasturnat\w*|cade|cazut\w*|tilt\w*|lean\w*|toppl\w*|swaying|falling|fell|collaps\w*)",
       r"\b(?:trosn\w*|scart\w*|crap\w*|creak\w*|crack\w*|groan\w*) (?:[\w'-]+ ){0,3}(?:acoperis\w*|tavan\w*|grinz\w*|structur\w*|tribun\w*|roof|ceiling|beam\w*|stand\w*)\b(?=.*\b(?:inauntru|inside|copii|oameni|people|kids|children|lume|sunt|e plin|is full))",
       r"\b(?:acoperis\w*|tavan\w*|roof|ceiling) (?:[\w'-]+ ){0,3}(?:trosn\w*|scart\w*|crap\w*|creak\w*|crack\w*|groan\w*|sag\w*|se lasa|se indoaie)\b(?=.*\b(?:inauntru|inside|copii|oameni|people|kids|children|lume|sunt|e plin|is full))",
       r"\b(?:tilt\w*|lean\w*|swaying|toppl\w*) (?:[\w'-]+ ){0,3}over (?:the )?(?:school|yard|street|road|people|kids|children|houses|playground)\b")

# Frames that say a danger word is not a danger now — a drill, a dream, a question asked to learn
# ("how do I recognise a heart attack?", "what do I do if there is an earthquake?"), a fire that
# was put out, "no emergency" said outright. Unlike DAMP, an urgent word ("copil", "baby") does
# not undo them: a drill at the child's school is still a drill. The alarm becomes ambiguous.
CALM = _rx(r"\bexercitiu\w*", r"\bsimular\w*", r"\bdrill\b", r"\bvisat\w*", r"\bvis\b", r"\b(?:a |my |i had a )?dream\w*",
           r"\bwhat (?:should|do|would|must) (?:i|we|you|one) do (?:if|in case|when)", r"\bce (?:trebuie sa |sa |ar trebui sa )?(?:fac|facem|faci) (?:daca|in caz|cand)",
           r"\bin caz de\b", r"\bin case (?:of|there)", r"\bcum (?:recunosc|recunoastem|recunosti|iti dai seama|imi dau seama)",
           r"\bhow (?:do (?:i|you|we) |to |can (?:i|you) )(?:recogni[sz]e|spot|tell if|do cpr|give first aid|prepare)",
           r"\bjust (?:asking|curious|wondering)\b", r"\bdoar (?:intreb|ca sa stiu|din curiozitate)", r"\bdin curiozitate\b",
           r"\bintreb (?:pentru|pt|ca sa stiu|din timp)", r"\b(?:curs|course|class|training|lesson)\w* (?:de |in |of )?(?:prim ajutor|first aid|cpr|resuscitare)",
           r"\bsa fiu pregatit\w*", r"\b(?:want|like|need) to be prepared",
           r"\bdin timp\b", r"\bhypothetic\w*", r"\bipotetic\w*", r"\bwriting a (?:novel|book|story|screenplay)", r"\bscriu o (?:carte|poveste|nuvela)")
# ... and frames that say it is not urgent *now* ("no emergency", a fire put out): like NEGATE,
# undone by a danger to life named outright (SEVERE) — "not an emergency really, but he says he
# wants to hurt himself" is one.
NOT_NOW = _rx(r"\bno emergency\b", r"\bnot (?:an? )?(?:urgent|emergency)\b", r"\bnon-?urgen\w*", r"\bnu (?:e|este|sunt|i|e o|este o) urgen\w*",
              r"\bnu e de urgenta\b", r"\bl-?au stins\b", r"\bs-a stins\b", r"\bau stins\b", r"\b(?:was|were|got) put out\b", r"\bput (?:it|the fire) out\b",
              r"\bno action needed\b", r"\bdoar va anunt\b", r"\bfyi\b")
SEVERE = _rx(r"\bnu (?:mai )?respira", r"\bnot breathing", r"\bstopped breathing", r"\binconstient", r"\bunconscious", r"\bhurt (?:himself|herself|myself|themselves)",
             r"\bsa-?si (?:faca rau|ia viata)", r"\bsinucid\w*", r"\bsuicid\w*", r"\bkill (?:myself|himself|herself)", r"\btrapped\b", r"\bprins\w* (?:sub|in)\b",
             r"\belectrocut\w*", r"\bnu se (?:mai )?trez\w*", r"\bwon'?t wake", r"\bam inceput (?:cpr|resuscitarea|masaj)", r"\bstarted cpr",
             # symptoms felt now (a gas or monoxide alarm with them is no less urgent for "nobody hurt")
             r"\bnu (?:se|ma|ne) (?:mai )?simt\w* bine", r"\b(?:doesn'?t|don'?t|do not|does not) feel (?:well|good)\b",
             r"\bvomit\w*", r"\bvoma\b", r"\b(?:ma|ne|il|o|le|imi|ii) doare capul", r"\bheadaches?\b", r"\bametit\w*", r"\bdizzy\b")

# Phrases that look like a cue and are not one: removed before matching ("nu ard becurile" is a
# street light, "fire station" a place, "gas station" a petrol station).
SAFE = _rx(r"\bnu (?:mai )?ard\w*", r"\b(?:bec\w*|felinar\w*|lamp\w*|stalp\w*|iluminat\w*|lumin\w*) (?:\w+ ){0,3}ard\w*",
           r"\bard\w* (?:\w+ ){0,2}(?:bec\w*|felinar\w*|lamp\w*|lumin\w*)", r"\bfire (?:station|department|brigade)\w*",
           r"\bgas station\w*", r"\bbenzinari\w*", r"\bpolitia locala", r"\bstatia de pompieri", r"\bfire (?:exit|extinguisher|escape|safety|door|drill|hydrant)\w*",
           r"\bdying to\b", r"\bbataie de joc", r"\bbatai de cap", r"\b(?:could|might|may|will) get hurt", r"\bs-?ar putea rani", r"\bse poate rani", r"\bfire insurance",
           r"\basigurare\w* (?:\w+ )?incendiu", r"\bmor de (?:ras|foame|curiozitate|plictiseala|sete)", r"\b(?:nearly|almost) (?:crash|hit)\w*",
           r"\baproape (?:sa )?(?:se )?(?:loveasca|ciocneasca|accident\w*)", r"\bshoot\w* (?:a |the )?(?:film|movie|video|photos?|scene)",
           r"\barse? (?:\w+ ){0,2}bec\w*", r"\bsediu\w* (?:\w+ )?pompier\w*", r"\b(?:car|phone|laptop) battery is dead", r"\bdead (?:battery|tree|pigeon|bird|animal|rat|cat|dog|end)", r"\bbec\w* ars\w*", r"\bnu (?:mai )?arde\b",
           r"\bbear (?:with|in mind|the cost|the costs|responsibility)", r"\bcan'?t bear\b", r"\bcannot bear\b", r"\bteddy bears?",
           r"\bgummy bears?", r"\bbear (?:statue|sculpture|mascot|toy)", r"\burs\w* de plus", r"\burs\w* (?:din|de) (?:plus|lemn|piatra|bronz)",
           r"\bstatui\w* (?:\w+ )?(?:urs\w*|lup\w*)", r"\bexplozi\w* de (?!gaz|butel|metan|la\b|langa|in\b|pe\b)\w+",
           r"\b(?:\w+ )?is killing me\b", r"\bma omoara (?:\w+ )?(?:caldura|frigul|plictiseala|birocratia|coada)",
           r"\bmor de (?:frig|cald|caldura|nervi|foame|sete)", r"\bfire sale", r"\bviata in (?:propriile )?maini",
           r"\bsiren\w* (?:de la )?pompier\w*", r"\bmy (?:phone|laptop|battery|car battery) died\b",
           r"\bsunt blocat\w* (?:la|in) (?:pasul|pagina|aplicati\w*|site)", r"\bstuck on (?:the |a )?(?:page|step|payment|website|site|app|form)",
           r"\b(?:o sa|va|poate|ar putea sa?) (?:se )?(?:intample|produce|fi|avea loc) (?:\w+ )?accident\w*", r"\bpericol de accident\w*",
           r"\baccident waiting to happen", r"\b(?:will|could|might|going to) (?:have|cause) an accident", r"\bwas there an accident",
           r"\b(?:app|site|website|page|aplicati\w*|program\w*|system|computer|phone|server)\w* (?:\w+ )?crash\w*",
           # (third round) gas works and the gas company, slang, a dying battery, an app that
           # "crash-uiește", animals poisoned, figures of speech
           r"\b(?:cei|oamenii|muncitorii|firma|echipa|compania|lucrarile|lucrari|santierul) (?:de la |la |pe )?(?:reteaua de |conducta de )?gaz\w*",
           r"\b(?:distrigaz|delgaz|engie)\w*", r"\bgas (?:company|works|workers|network works|board)\b",
           r"\b(?:movie|film|song|track|album|show|concert|party|outfit|beat|game)\w* (?:[\w']+ ){0,2}(?:was|is|are|were) (?:so |pure |straight |absolutely )?fire\b",
           r"\b(?:battery|baterie\w*|phone|telefon\w*|laptop|plant\w*|planta\w*|flori\w*)\w* (?:is |e |se |are )?(?:dying|moare|mor)\b",
           r"\bcrash-?ui\w*", r"\b(?:poison\w*|otravi\w*|otravesc|otraveste) (?:[\w']+ ){0,2}(?:them|the (?:pigeons|dogs|cats|birds|rats|mice)|porumbei\w*|caini\w*|pisici\w*|sobolan\w*|soareci\w*|pasari\w*|rozatoare)",
           r"\b(?:rat|mouse) poison\b", r"\botrava (?:de |pentru )?(?:soareci|sobolani)", r"\bard de (?:nerabdare|curiozitate|dor)\b",
           r"\b(?:nearly|almost) died (?:of|from) (?:old age|boredom|laughing|laughter|cold|heat)", r"\baproape (?:ca )?am murit de (?:batranete|plictiseala|ras|frig|cald)",
           r"\bkiller (?:of a|deal|price|view|bill)\b", r"\b(?:a|o) (?:muri|murit) de ras\b",
           r"\b(?:treaba|chestie|pret\w*|oferta|super|ceva|e|a fost) bomba\b", r"\b(?:is|was) (?:the )?bomb\b",
           # a weed or pollen that makes breathing hard outside: a complaint about the weed (anaphylaxis
           # is named otherwise: "i se umflă gâtul", "allergic reaction")
           r"\b(?:ambrozi\w*|ragweed|polen\w*|pollen)\b.{0,80}?\brespira\w*", r"\brespira\w*.{0,40}?\b(?:ambrozi\w*|ragweed|polen\w*|pollen)\b")
# Weak cues: a danger is possible, not certain. They give an ambiguous alarm.
WEAK = _rx(r"^\s*(?:ajutor|help|sos)\W*$", r"\bs-a surpat\b", r"\bsurpat\w*", r"\bpolitia\b", r"\bpolice\b", r"^\W*ajutor\b", r"^\W*help\b", r"\bpericulos\w*", r"\bdangerous\b",
           r"\bdanger\b", r"\bcopac (?:\w+ ){0,3}cazut", r"\bfallen tree", r"\btree (?:\w+ ){0,3}(?:fell|fallen|down)",
           r"\bcable\w* (?:\w+ ){0,3}(?:down|hanging)",
           r"\bcablu\w*", r"\bwires?\b", r"\binundat\w*", r"\bflood\w*", r"\bgheata pe trotuar", r"\bpolei",
           r"\bcapac\w* (?:de canal )?(?:lipsa|lipseste|furat)", r"\bmissing manhole", r"\bmanhole (?:\w+ )?missing",
           r"\bcaine\w* (?:agresiv|fara stapan)", r"\bstray dogs?", r"\blift\w* (?:blocat|oprit)", r"\bstuck in the lift",
           r"\bstuck in (?:an |the )?elevator", r"\bcopil\w* (?:singur|pierdut)", r"\blost child", r"\bmissing (?:child|person)")
# Frames that make a strong cue possibly non-urgent: clear → ambiguous (never → silent).
DAMP = _rx(r"\bsediu\w*", r"\badres\w*", r"\bunde (?:e|este|se afla)\b", r"\bwhere is\b", r"\bfactur\w*", r"\bbill\b", r"\bpret\w*", r"\bprice\b", r"\bcost\w*", r"\bcat (?:costa|e)\b", r"\btax(?!i)\w*\b", r"\bimpozit\w*", r"\bplat\w*\b",
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
           r"\brevizi\w*", r"\binspection", r"\bfrunze\b", r"\bleaves\b", r"\bresturi vegetale", r"\bgarden waste",
           r"\bteren viran", r"\bvacant lot", r"\bimprejmu\w*", r"\bfenced? off", r"\bazi noapte\b", r"\blast night\b")
# Words of life-threatening immediacy that keep an alarm clear even in a damped frame.
URGENT = _rx(r"\bchiar acum\b", r"\bright now\b", r"\bacum (?:iese|arde|e foc|se|curge|miroase)", r"\brepede\b", r"\bquick\w*",
             r"\burgent\w*", r"\bajutor\w*", r"\bhelp\b", r"\bnu respira", r"\bnot breathing", r"\bprins\w* sub",
             r"\btrapped", r"\bsanger\w*", r"\bbleeding", r"\binconstient", r"\bunconscious", r"\bsomeone\b",
             r"\bcineva\b", r"\bcopil\w*", r"\bcopii\w*", r"\bhurt\b", r"\binjured\b", r"\bran(?:it|ita|iti)\b", r"\bvictim\w*", r"\bpeople\b", r"\boameni\b", r"\bchild\w*", r"\bkids?\b", r"\bbaby\b", r"\bbebe\w*")

# (fourth round) someone who has fallen and cannot get up is urgent however long ago they fell
URGENT = re.compile(URGENT.pattern + r"|\bnu (?:ma|se|te|ne) (?:mai )?(?:pot|poate|poti|putem) (?:ridica|scula)\b"
                    r"|\b(?:can'?t|cannot|unable to) (?:get|stand) (?:back )?up\b")

# A person named (someone who may be at risk): a clear alarm in such a message stays clear even
# when the model reads it, confidently, as something else (nlu's CALM_CONFIDENCE).
PEOPLE = re.compile(r"\b" + _PERSON + r"|\b(?:un om|omul|oameni\w*|o femeie|femeia|un barbat|barbatul|o persoana|persoan\w*|muncitor\w*|"
                    r"workers?|a man|a woman|a person|somebody|coleg\w*|colleague|copii\w*|elevi\w*|locatari\w*|un tip|a guy|un sofer|"
                    r"we(?:'re| are)|suntem|sunt (?:singur\w*|inauntru|blocat\w*))\b")

# Words that say the danger is not there (nobody hurt, the dogs never attack, far from houses, a
# joke): a clear alarm becomes ambiguous — 112 guidance and the normal answer — never silence.
NEGATE = _rx(r"\bnu (?:e|este|a fost) nimeni (?:\w+ )?(?:ranit|in pericol|lovit|prins|accidentat)",
             r"\bnimeni nu (?:e|este|a fost) (?:\w+ )?(?:ranit|in pericol|lovit|prins)", r"\bfara (?:victime|raniti)",
             r"\b(?:nobody|no one|noone|no-one)(?:'s| is| was| got| has been)? (?:\w+ )?(?:hurt|injured|in danger|harmed|trapped)",
             r"\bno (?:injuries|casualties|victims)\b", r"\bnot in danger\b", r"\bnu (?:sunt|e|este) (?:nimeni )?in pericol",
             r"\bnu (?:ataca|musca)\b", r"\b(?:never|don'?t|doesn'?t|do not|does not|not|won'?t) (?:\w+ )?(?:attack|bite)\b",
             r"\bglumesc\b", r"\bin gluma\b", r"\b(?:just |only )?(?:kidding|joking)\b", r"\bjk\b", r"\blol\b", r"\bjust a question\b",
             r"\bdoar (?:o )?intreb\w*", r"\bdeparte de (?:case|casa|blocuri|locuinte|oameni)", r"\bnu (?:e )?langa (?:case|casa|blocuri)",
             r"\bfar (?:away )?from (?:any )?(?:houses|homes|buildings|people)", r"\bnu (?:e|este) (?:\w+ )?(?:grav|urgent)\b",
             r"\bnu e curent\b", r"\bno (?:power|current|electricity) in (?:it|them)", r"\bnu (?:e|este) periculos", r"\bnot dangerous\b",
             r"\bs-a (?:surpat|lasat) (?:putin|un pic|usor)", r"\bnothing (?:is )?(?:burning|on fire)", r"\bnu arde nimic",
             r"\bn-?a (?:fost|patit) nimeni\b", r"\bnu (?:s-a ranit|a patit) nimeni", r"\bnimeni (?:nu )?(?:a fost )?(?:ranit|lovit)\b",
             r"\bnu (?:e|este|a fost) (?:un |niciun )?(?:incendiu|foc)\b", r"\b(?:it'?s|it is|is|was) not (?:a |on )?fire\b",
             r"\bnu (?:face|scoate|are|sunt) scantei", r"\bnot sparking\b", r"\bno sparks\b",
             r"\b(?:nobody|no one|noone) (?:was |is )?(?:inside|in it|in the car|around)\b", r"\bnu (?:e|era|este) nimeni (?:inauntru|in ea|in masina|acolo)",
             r"\bazi nu se mai simte\b", r"\bnu se mai simte\b(?! (?:bine|deloc|rau))")

# (fourth round) the danger said to be absent, in general words: nothing live, not burning, a
# false alarm
NEGATE = re.compile(NEGATE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\bnu (?:sunt|e|este|mai e|mai sunt) (?:[\w'-]+ )?sub tensiune", r"\b(?:nothing|none of (?:it|them)) (?:is |was )?live\b",
    r"\b(?:not|isn'?t|aren'?t) (?:live|burning|on fire|smoking|leaking)\b", r"\bfalse alarm\b", r"\balarm\w* fals\w*",
    r"\bnu s-a intamplat nimic\b", r"\bnothing (?:has )?happened\b", r"\bnu (?:mai )?(?:arde|fumega|curge gaz)\b")))
# ... a fire said to be out, an "emergency" that is an administrative one
NOT_NOW = re.compile(NOT_NOW.pattern + r"|\b(?:e|este|a fost|era|au fost|sunt) (?:deja )?stins\w*|\bfocul (?:e |este )?stins\b|"
                     r"\b(?:fire|flames?|it|blaze|everything|focul) (?:is|was|were|'s) (?:already )?(?:out|extinguished)\b(?! of)|\b(?:is|was|were) (?:already )?extinguished\b|\b(?:fire|it|flames?) (?:is |was )?already out\b")
SAFE = re.compile(SAFE.pattern + r"|\burgent\w*\W{0,5}(?:administrativ\w*|birocratic\w*)|\b(?:administrative|paperwork) emergency")
# (issue 15, leave-one-set-out round) words of danger in everyday or administrative use, in general
# words: an emergency *benefit* asked about with its papers, a gas *connection* or digging permit,
# things that burn out (a bulb, a fuse), food burning on the stove, not getting out *with the car
# or the pram*, "it is killing us" about noise or heat
SAFE = re.compile(SAFE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\bajutor\w* (?:\w+ )?de urgenta\b(?=.{0,60}\b(?:acte|hartii|documente|dosar\w*|cerere|formular\w*|primari\w*|depun\w*|solicit\w*)\b)",
    r"\b(?:acte|hartii|documente|dosar\w*|cerere|formular\w*|papers?|documents?|forms?)\b.{0,60}\bajutor\w* (?:\w+ )?de urgenta\b",
    r"\bemergency (?:aid|assistance|grant|payment|benefit|fund)s?\b", r"\b(?:racord\w*|bransa\w*|conectare\w*) (?:\w+ ){0,3}(?:la )?gaz\w*",
    r"\bgas (?:connection|hook-?up|supplier|contract)\b", r"\bpermis\w* de (?:sapatura|spargere)\b",
    r"\bs-(?:a|au) ars (?:\w+ ){0,2}(?:bec\w*|lamp\w*|sigurant\w*|led\w*|neon\w*)", r"\b(?:bec\w*|lamp\w*|sigurant\w*) (?:\w+ )?s-(?:a|au) ars\b",
    r"\b(?:bulb|lamp|fuse)s? (?:\w+ )?(?:burnt|burned) out\b", r"\b(?:ma|ne|imi|ni|mi) (?:se )?arde (?:ciorba|supa|mancarea|friptura|cina|pranzul|laptele|tocana)\b(?: (?:de )?pe (?:foc|aragaz|plita))?",
    r"\bnu (?:mai )?(?:pot|putem|poate) (?:iesi|trece) (?:\w+ ){0,2}cu (?:caruciorul|masina|bicicleta|scaunul)\b",
    r"\b(?:can'?t|cannot) get (?:out|through) with (?:the |my |a )?(?:pram|stroller|car|bike|wheelchair)\b",
    r"\b(?:muzica|zgomotul|galagia|manelele|basul|caldura|mirosul|taxele|preturile)\b.{0,40}\bne omoara\b",
    r"\b(?:giving|gives|gave|give) (?:me|us) (?:a )?heart attacks?\b", r"\b(?:ma|ne) (?:baga|bagati|bagi) in (?:infarct|spital|mormant)\b")))
# ... an animal that has not hurt anyone ("they haven't bitten anyone", "n-au mușcat pe nimeni")
NEGATE = re.compile(NEGATE.pattern + r"|\b(?:haven'?t|hasn'?t|have not|has not|never) (?:\w+ )?(?:bitten|attacked|hurt) (?:anyone|anybody|us|me)\b"
                    r"|\b(?:n-?au|nu au|n-?a|nu a) (?:muscat|atacat) pe nimeni\b")
# ... asked to learn or for school, getting ready with nothing happening
CALM = re.compile(CALM.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\basking (?:because|since|for (?:a|an|my|our|school|uni|university|homework))\b", r"\bjust preparing\b",
    r"\bnothing (?:is )?happening\b", r"\bnu se intampla nimic\b", r"\bintreb pentru (?:un|o) (?:eseu|referat|proiect|lucrare|tema)",
    r"\bpentru (?:un|o) (?:eseu|referat|proiect scolar|lucrare de licenta)\b", r"\bfor (?:a|an|my) (?:essay|school project|assignment|thesis)\b")))
# ... the danger over: "acum nu mai iese nimic", "no fire now"
NOT_NOW = re.compile(NOT_NOW.pattern + r"|\bacum nu mai (?:iese|arde|fumega|curge|miroase|scoate)\b|\bno (?:fire|flames|smoke) (?:now|anymore|any more)\b")

# Signs with no everyday use: a clear alarm on them stays clear even when the model reads the
# message, confidently, as a report (nlu's CALM_CONFIDENCE): a street that smells of gas is a
# call to 112, not a pothole.
UNMISTAKABLE = _rx(r"\b(?:miroase|miros\w*) (?:[\w'-]+ ){0,4}(?:a |de )gaz", r"\b(?:smell\w*|smel) (?:[\w'-]+ ){0,3}(?:of )?gas\b", r"\bgas (?:smell|leak)",
                   r"\brotten eggs?\b", r"\bou[a]? (?:stricat|clocit)", r"\b(?:conduct\w*|teav\w*|pipe|main) (?:[\w'-]+ ){0,3}gaz\w* (?:[\w'-]+ ){0,2}(?:spart|rupt|lovit)",
                   r"\bscurgere de gaz", r"\bmonoxid", r"\bcarbon monoxide")


# (issue 15, the five-set round) concepts the rules still described too narrowly: a person in the
# water (struggling, carried by the current), ice that gave way under someone, live wires lying on
# the ground or in water, water running onto electrics that crackle, a pole leaning over people, a
# bad heart, a poison drunk from another bottle
_widen("medical", r"\b(?:struggl\w*|carried|swept|pulled|drifting) (?:away )?(?:[\w'-]+ ){0,3}(?:in|by|into|down) the (?:water|river|current|lake)\b",
       r"\b(?:in|into) the (?:water|river|lake)\b[\w' ,-]{0,40}\b(?:struggl\w*|carried|swept|can'?t swim|going under)\b",
       r"\b(?:man|woman|child|kid|someone|somebody|person|boy|girl|people) (?:is |are )?(?:struggling |drowning )?in the (?:water|river|lake)\b",
       r"\b(?:e|este|sunt|a cazut|au cazut|cade) in apa\b", r"\b(?:il|o|ii|-l|-o) (?:ia|duce|trage) (?:apa|curentul|raul)\b",
       r"\b(?:dus|dusa|luat|luata|purtat\w*) de (?:ape|apa|curent|rau)\b", r"\bse (?:zbate|chinuie) in (?:apa|rau|lac)\b",
       r"\b(?:gheata|the ice) (?:[\w'-]+ ){0,4}(?:a crapat|s-a rupt|s-a spart|a cedat|cracked|broke|gave way) (?:[\w'-]+ ){0,2}(?:sub|under)\b",
       r"\b(?:mi-e|imi e|ii e|i-e|ma simt) (?:\w+ )?rau (?:\w+ )?(?:la inima|cu inima)\b", r"\b(?:ma|il|o) doare (?:\w+ )?inima\b",
       r"\b(?:drank|a baut|au baut|swallowed|a inghitit) (?:[\w'-]+ ){0,8}(?:antigel|antifreeze|bleach|inalbitor|solvent|diluant|pesticid\w*|soda caustica)\b")
_widen("electricity", r"\bfir(?:e|ele)?\b (?:de curent |electric\w* )?(?:[\w'-]+ ){0,4}(?:stau|sunt|zac|atarna) (?:[\w'-]+ )?(?:pe asfalt|pe jos|pe strada|pe trotuar|in balta|in apa)\b",
       r"\bstalp\w* (?:de curent|electric\w*|de electricitate) (?:[\w'-]+ ){0,4}(?:s-a )?(?:rupt|cazut|prabusit)\b",
       r"\b(?:apa|water)\b.{0,60}\b(?:priz\w*|sockets?|outlets?|light fittings?|corp\w* de iluminat|tablou\w*|fuse ?box)\b.{0,60}"
       r"\b(?:crackl\w*|spark\w*|pocne\w*|pocnit\w*|scantei\w*|flicker\w*|palpai\w*|sfara\w*)")
_widen("collapse", r"\b(?:stalp\w*|pole|copac\w*|tree|macara|crane|schel\w*|scaffold\w*) (?:[\w'-]+ ){0,4}(?:aplecat|inclinat|se misca|se clatina|leaning|swaying|tilting)\b"
       r".{0,80}\b(?:oameni|people|copii|children|lume)\b (?:[\w'-]+ ){0,2}(?:dedesubt|sub el|underneath|below|under it)")
_widen("violence", r"\bbeats? (?:me|her|him|us|them|the (?:kids|children)|his (?:wife|kids|children)|my (?:mum|mom|mother|sister|brother|son|daughter))\b")
NEGATE = re.compile(NEGATE.pattern + r"|\bnu (?:e|este|sunt) de (?:la )?curent\b|\bnot (?:a )?(?:power|electric\w*) (?:cable|line|wire)s?\b")
# visible flames are never an everyday use of a fire word (nlu: a confident report does not calm them)
UNMISTAKABLE = re.compile(UNMISTAKABLE.pattern + r"|\bflacar\w*|\bflames?\b|\bon fire\b|\b(?:a|au) luat foc\b|\bcaught fire\b"
                          r"|\bard (?:\w+ )?(?:masini|masina|case|casa|blocul|apartamentul|garaj\w*|magazin\w*)\b")
DAMP = re.compile(DAMP.pattern + r"|\bhorn\w*")
# smoke from a chimney is everyday
SAFE = re.compile(SAFE.pattern + r"|\b(?:fum|fumul|smoke) (?:\w+ ){0,2}(?:pe|din|de la|from|on|out of) (?:un |o |the |a )?(?:horn|cos|chimney|soba)\w*")

# (issue 15, the five-set round) Frames that say *when* and *why* a danger word is written, in
# general words rather than per phrase, each undone by a sign of danger now (:data:`ACUTE`):
# a danger happening now, or a severe sign, keeps the alarm clear whatever the frame.
#
# * INFO: a question asked to learn — the emergency number, rules and what is legal, insurance,
#   seismic zones, an app, an evacuation plan, "is it normal?" — and a hypothetical ("if my
#   building catches fire ...", "before somebody gets hurt", "nothing has happened yet");
# * JOKE: laughter ("haha", ":))", the laughing emoji) — the words are a figure of speech;
# * PAST_EVENT: an event anchored in the past (last week, yesterday, three days ago, "a fost un
#   incendiu", already fixed) — the 112 line and the message's real reading (why ``"past"``).
ACUTE = re.compile(SEVERE.pattern + r"|\b(?:acum|now|right now|chiar acum|adineauri|just now|tocmai|still|inca|de atunci|since then|"
                   r"currently|in momentul (?:asta|acesta)|at the moment|in this moment)\b(?! (?:\d+|o|un|doua|trei|cateva|few|several) "
                   r"(?:zi|zile|saptamana|saptamani|luna|luni|an|ani|day|days|week|weeks|month|months|year|years))"
                   # (eighth round) what is left after it ("the burnt bin is still there", "de atunci
                   # stă acolo", "now there's just a melted lump"): the aftermath, not a danger now
                   r"(?! (?:there\b|acolo|sta\b|stau\b|e doar|este doar|there'?s (?:just|only)|there is (?:just|only)|is just|only|"
                   r"a ramas|au ramas|mai e doar|mai sunt doar|only .{0,20} left|e liniste|it'?s quiet))"
                   r"|\bsanger\w*|\bbleeding\b|\bzace\b|\bprins\w* sub\b|\bnu (?:mai )?raspunde\b|\bnot (?:answering|responding)\b"
                   r"|\bhelp (?:me|us)\b|\bajuta\w*(?:-ma|-ne)?\b|\bveniti (?:repede|urgent|imediat)\b"
                   # people hurt, lying, things burning: now, whatever tense the event was told in
                   r"|\b(?:sunt|e|este|is|are|there are|avem) (?:\w+ )?(?:raniti|ranit|ranita|injured|hurt|victime|casualties)\b"
                   r"|\b(?:is|are) (?:lying|on fire|burning|bleeding)\b|\b(?:sta|stau) intins\w*"
                   # a fire or gas said in the present ("what number do I call? the house next door
                   # is on fire", "care e numărul pompierilor? arde casa vecinului")
                   r"|\barde\b|\bard\b|\bburning\b|\biese fum\b|\bsmoke (?:is )?(?:coming|pouring|billowing)\b"
                   r"|\bmiroase (?:\w+ )?a gaz\b|\bsmells? (?:\w+ )?of gas\b")
# a hypothetical clause ("dacă arde ceva", "if the building is on fire") says nothing of now: it is
# left out before ACUTE is looked for
HYPO_CLAUSE = re.compile(r"\b(?:daca|if|in caz ca|in case|what if|ce-ar fi daca)\b[^,.;?!]*")
# ... and, stricter, the words that undo even a drill or a "what do I do if" (CALM): it is happening
# right now ("ce fac dacă a luat foc bucătăria chiar acum?")
RIGHT_NOW = re.compile(SEVERE.pattern + r"|\b(?:chiar acum|right now|just now|adineauri|in momentul (?:asta|acesta)|in this moment)\b")
QUESTION = re.compile(r"\?|^\W*(?:care|ce|cum|unde|cand|de ce|exista|se poate|pot|putem|e |este |is |are |what|which|how|where|"
                      r"when|why|can|could|should|do|does|is there)\b")
INFO = _rx(r"\bnumar\w* (?:\w+ )?de urgen\w*", r"\bemergency (?:phone )?number\b",
           r"\b(?:legal|ilegal|illegal|allowed|permitted|e voie|este voie|interzis\w*|against the (?:rules|law))\b",
           r"\b(?:regul\w*|rules|regulations|norm\w* (?:de )?(?:siguranta|psi)|legislati\w*)\b",
           r"\basigur\w*\b", r"\binsurance\b", r"\b(?:zon\w*|risc\w*) (?:\w+ )?seismic\w*", r"\b(?:earthquake|seismic) (?:zone|risk|area)\b",
           r"\bbulin\w* rosi\w*",
           r"\b(?:is there|are there|exista|e vreo|este vreo|any) (?:an? |o |vreo |un )?(?:app|aplicati\w*|site|website|alert\w*|sistem\w*)\b",
           r"\bplan\w* de evacuare\b", r"\bevacuation plan", r"\bwhere can (?:i|we) (?:see|watch|spot)\b",
           r"\bunde (?:pot|putem) (?:sa )?(?:vedea|vad|vedem)\b")
# ... a question asked to learn calms only the hazards (rules, insurance, zones are about things);
# "is it legal that he hits me?" or "what number do I call, she collapsed" is about a person
HAZARDS = frozenset({"fire", "smoke", "gas", "electricity", "flood", "collapse", "animal", "danger", "explosion",
                     "possible_danger"})
HYPOTHETICAL = _rx(r"\b(?:if|daca|in caz ca|in case) (?:[\w'-]+ ){0,5}(?:catch\w* fire|ia foc|ar lua foc|lua foc|burns? down|"
                   r"collapses?|se prabuseste|s-ar prabusi|happens?|se intampla|s-ar intampla|explod\w*|there(?:'s| is| was) (?:a|an) |"
                   r"arde|ard|burns|is burning|e foc|izbucne\w* (?:un )?(?:incendiu|foc))",
                   # (eighth round) the conditional mood: "dacă ar fi vreodată un incendiu", "if there were ever a fire"
                   r"\bdaca (?:\w+ )?ar (?:fi|avea|veni|izbucni|lua|cadea|exista)\b", r"\bif there (?:were|was) ever\b",
                   r"\b(?:before|until|till|pana (?:nu )?|inainte (?:sa|ca|de a)) (?:[\w'-]+ ){0,2}(?:gets?|is|get) (?:hurt|injured|killed)",
                   r"\b(?:inainte (?:sa|ca)|pana (?:nu )?(?:sa )?) (?:[\w'-]+ ){0,2}(?:se raneasca|se raneste|pateasca|pateste|moara|moare|se accidente\w*|se intample)",
                   r"\b(?:daca|if|in case|in caz ca) (?:i |we |you |one |ever )?(?:vad|vedem|vezi|see|notice|spot|smell|simt|simtim|aud|auzim|hear|gasesc|find)\b",
                   r"\bdaca se intampla ceva\b", r"\bif (?:something|anything) happens\b", r"\bnu s-?a intamplat (?:inca|nimic)\b",
                   r"\b(?:hasn'?t|has not|nothing has|nothing) happened yet\b", r"\bs-ar putea (?:sa )?(?:cada|ia foc|prabus\w*|rani\w*)",
                   r"\b(?:could|might|may) (?:fall|collapse|catch fire|come down|hurt|injure|kill)\b",
                   r"\bse poate intampla (?:si )?(?:la noi|aici|in brasov)\b", r"\b(?:could|can) (?:that|this|it) happen (?:here|in brasov|to us)\b")
LAUGH = re.compile(r"\btell me a joke\b|\bspune-?mi (?:un banc|o gluma)\b|\bha(?:ha)+\w*|\bhe(?:he)+\b|\bhihi\w*|:\)\)+|\blmao\b|\brofl\b|\bxd\b|[\U0001F602\U0001F923\U0001F605\U0001F606\U0001F639]",
                   re.I)
# ... a laugh taken back ("haha very funny, but seriously ...")
SERIOUS = re.compile(r"\b(?:seriously|serios|no joke|not joking|nu glumesc|fara gluma|on a serious note)\b")
PAST_EVENT = _rx(r"\blast (?:week|month|year|spring|summer|autumn|fall|winter|weekend)\b",
                 r"\b(?:saptamana|luna|anul|vara|iarna|toamna|primavara|weekendul) trecut\w*",
                 r"\bacum (?:\d+|o|un|doua|trei|cateva) (?:zile|saptamani|luni|ani)\b", r"\b(?:\w+ )?(?:days|weeks|months|years) ago\b",
                 r"(?<!\bde )(?<!\bdin )(?<!\bsince )\b(?:ieri|alaltaieri|yesterday)\b",
                 r"\b(?:a fost|au fost|there was|there were|we had|am avut|au avut) (?:un|o|an|a|niste|some) (?:\w+ )?"
                 r"(?:incendiu|foc|fire|explozie|explosion|accident|cutremur|earthquake|inundati\w*|flood\w*|scurgere|leak)\b",
                 r"\b(?:already|deja) (?:\w+ )?(?:fixed|repaired|sorted|handled|reparat\w*|rezolvat\w*|remediat\w*|stins\w*)\b",
                 r"\b(?:au|a) (?:reparat|remediat|rezolvat)\b", r"\b(?:was|were|got) (?:fixed|repaired|sorted out)\b",
                 r"\b(?:afectat\w*|avariat\w*|damaged|affected) (?:[\w'-]+ ){0,2}(?:de|by|in|of) (?:the |an? )?(?:cutremur\w*|incendiu\w*|inundati\w*|earthquake|fire|flood\w*)",
                 # (eighth round, set F) time said in other ways: one unit ago, long ago, last night;
                 # "after the fire" (never "after the storm": its fallen lines and trees are live
                 # hazards); the help that already came
                 r"\bacum (?:o|un|\d+) (?:zi|saptamana|luna|an)\b", r"\b(?:a|one|\d+) (?:day|week|month|year) ago\b",
                 r"\b(?:ages|long|a while|some time) ago\b", r"(?<!\bde )(?<!\bdin )(?<!\bsince )\b(?:last night|azi ?noapte|noaptea trecuta|aseara)\b",
                 r"\b(?:dupa|after) (?:the |un |o )?(?:incendiu\w*|fire|cutremur\w*|earthquake|inundati\w*|flood\w*)\b",
                 r"\b(?:the )?(?:fire ?(?:brigade|fighters|men)|firemen|pompierii|ambulanta|salvarea) (?:\w+ )?(?:came|handled|put it out|"
                 r"a venit|au venit|au stins|l-au stins|au taiat|l-au taiat|a rezolvat|au rezolvat)\b")
# ... the danger explained away or over (everything fine now, help arrived in time, "it was just
# the neighbours' toast", "sorry for the panic"): like NOT_NOW, undone only by a severe sign
NOT_NOW = re.compile(NOT_NOW.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\btotul (?:e|este|a fost) (?:bine|ok|in regula)\b", r"\bacum (?:e|este) (?:totul )?(?:bine|ok|in regula)\b",
    r"\beverything(?:'s| is| was) (?:fine|ok|okay|alright|under control)\b", r"\ball (?:good|fine|ok) now\b",
    r"\b(?:au|a) (?:ajuns|venit) la timp\b", r"\b(?:arrived|came|got there) in time\b", r"\bsorry for the (?:panic|alarm|fuss)\b",
    r"\bscuze (?:pentru |pt )?(?:panica|alarma)\b", r"\b(?:was|were) (?:just|only) (?:the|a|an|some|my|our|their)\b",
    r"\b(?:a fost|era|erau) doar (?:un|o|niste|de la|vecin\w*|soba|abur\w*|ceata)\b",
    r"\bturned out (?:to be )?(?:just|only|nothing|fine|ok)\b", r"\bs-a dovedit (?:ca )?(?:e|era|a fost)? ?(?:doar|nimic)\b",
    # (eighth round) someone said to be fine now ("a venit salvarea și tata e bine acum")
    r"\b(?:e|este|sunt|suntem) (?:bine|ok|in regula) acum\b", r"\b(?:is|are|we're|he's|she's) (?:all )?(?:fine|ok|okay|safe) now\b")))
# ... danger words inside names and figures of speech: the town hall's emergency department, the
# fire brigade's access lane, the emergency number as a topic, a neighbour who threatens to call
# someone, a smell "to faint from", a head "on fire" from homework, a road surface that sank
SAFE = re.compile(SAFE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\bsituati\w* de urgenta\b", r"\binspectorat\w* (?:\w+ ){0,3}urgenta\b", r"\bisu\b",
    r"\b(?:alee\w*|drum\w*|cale\w*|acces\w*|intrare\w*|loc\w*|cai) (?:de )?(?:acces )?(?:pt|pentru|al|a|la) pompier\w*",
    r"\bfire (?:lane|access|route|truck access)s?\b", r"\bnumar\w* (?:\w+ )?de urgen\w*", r"\bemergency (?:phone )?number\b",
    r"\bthreaten\w* to (?:call|report|sue|complain)\b", r"\bameninta\w* (?:ca |sa )?(?:ne |ma |il |o |ii |le )?(?:suna|reclama|cheama|da in judecata)\b",
    r"\bde (?:lesini|lesinezi|mori|crapi)\b", r"\b(?:imi|iti|ii|ne|va|le|mi|ti|i) (?:ia|iau|a luat) foc (?:capul|creierul|mintea|nervii)\b",
    r"\b(?:my|his|her) (?:head|brain) is on fire\b",
    r"\bs-a (?:surpat|lasat|scufundat|prabusit) (?:\w+ )?(?:asfaltul|drumul|carosabilul|trotuarul|pavajul|strada|bordura|santul|terenul)\b",
    r"\b(?:asfaltul|drumul|carosabilul|trotuarul|pavajul|strada|bordura) (?:\w+ )?s-a (?:surpat|lasat|scufundat|prabusit)\b",
    r"\b(?:road|asphalt|pavement|sidewalk|street|road surface) (?:\w+ ){0,2}(?:caved in|sank|collapsed)\b",
    # (eighth round, set F) a place or a thing named after the danger: a bus stop called Pompieri,
    # becoming a firefighter, an emergency kit
    r"\b(?:statia|statie|stop) pompieri\b(?! (?:au|a|vin|sunt|came|are))", r"\b(?:se )?(?:faca|fie|devina|become|be) (?:a )?(?:pompier|firefighter|fireman)\b",
    r"\b(?:trus\w*|kit\w*|rucsac\w*) (?:\w+ )?(?:de )?urgent\w*", r"\bemergency (?:kit|bag|backpack|supplies)\b",
)))
WEAK = re.compile(WEAK.pattern + r"|\bcutremur\w*|\bearthquake\w*")

# (issue 15, ninth round) emergencies set G described with words no rule knew: a cardiac arrest
# and CPR, an overdose or a double dose, labour, a high fever with delirium, someone who no longer
# reacts, a small child alone by traffic, at a window or shut out in the cold
_widen("medical", r"\bstop cardi\w*", r"\bcardiac arrest\b", r"\b(?:rcp|cpr)\b", r"\bresuscit\w*", r"\bmasaj cardiac\b",
       r"\bsupradoz\w*", r"\boverdos\w*",
       r"\b(?:a luat|a inghitit|au luat|took|swallowed|has taken|had taken) (?:[\w'-]+ ){0,2}(?:toate|all|o cutie|o folie|un pumn|a (?:whole )?"
       r"(?:box|bottle|pack|strip)|a handful)(?: (?:de|of|the|his|her|my))? (?:pastile\w*|medicament\w*|pills|tablets|somnifer\w*|sleeping pills)",
       r"\b(?:de doua ori|dubla|double|twice the) (?:[\w'-]+ ){0,2}(?:doza|dose|insulin\w*)|\b(?:doza|dose) (?:[\w'-]+ ){0,3}(?:de doua ori|twice|dubla|double)\b",
       r"\b(?:i |ii |i-)?(?:s-a )?rupt apa\b", r"\b(?:her )?waters? (?:has |have |just )?(?:broke|broken)\b", r"\bcontracti\w* (?:[\w'-]+ ){0,2}(?:la|din|every) (?:\d|doua|trei|cateva)",
       r"\bcontractions? (?:[\w'-]+ ){0,2}(?:every|apart)\b", r"\bin labou?r\b", r"\bgiving birth\b", r"\b(?:sta|e pe cale) sa nasca\b",
       r"\bdelir\w*", r"\bnu mai (?:reactioneaza|recunoaste|stie cine)\b", r"\bnot (?:reacting|responsive)\b", r"\bunresponsive\b",
       r"\b(?:febr\w*|fever|temperatur\w*) (?:[\w'-]+ ){0,3}(?:4[0-2]|104|105)\b")
_widen("danger", r"\b(?:copil\w*|toddler|baby|bebe\w*|a (?:small |little )?(?:child|kid|boy|girl)|baietel\w*|fetit\w*) (?:[\w'-]+ ){0,8}(?:pervaz\w*|windowsill|window sill|window ledge)",
       r"\b(?:copil\w*|toddler|baby|bebe\w*|child|kid|baietel\w*|fetit\w*)\b[^.!?]{0,60}\b(?:singur\w*|alone|unattended|nesupravegheat\w*)\b[^.!?]{0,80}"
       r"\b(?:marginea drumului|pe drum|pe sosea|traffic|trafic|masini|camioane|trucks|cars|fereastr\w*|window)",
       r"\b(?:locked|shut|stuck|inchis\w*|incuiat\w*) (?:[\w'-]+ ){0,3}(?:on|pe|in|afara|outside) (?:[\w'-]+ ){0,3}(?:balcon\w*|balcony)\b[^.!?]{0,60}\b(?:cold|frig|ger|freezing)",
       r"\bvrea sa se (?:termine totul|sinucid\w*|omoare)\b", r"\bsinucid\w*", r"\bsuicid\w*",
       r"\b(?:wants|going|threaten\w*) to (?:kill (?:himself|herself|themselves)|end (?:it all|his life|her life))\b")

# ... and from the other sets' folds (a model that never saw the set): a throat swelling after a
# sting, someone lying on the rails, a sleeper who cannot be woken, a new stove and a drowsy,
# nauseous family (carbon monoxide), a pole swaying over people
_widen("medical", r"\b(?:mi se |i se |ii se |ni se )?umfl\w* (?:[\w'-]+ ){0,2}(?:gatul|gat|limba|fata|buzele|ochii)\b",
       r"\b(?:throat|tongue|face|lips) (?:is |are )?(?:swelling|swollen)\b", r"\babia (?:mai )?(?:inghit|inghite|respir\w*)\b",
       r"\bcan (?:hardly|barely) swallow\b",
       r"\b(?:nu-?l|nu-?o|nu il|nu o|nu ii) (?:mai )?(?:pot|putem|poate) (?:trezi|destepta)\b", r"\b(?:can'?t|cannot|couldn'?t) wake (?:him|her|them|my \w+)\b",
       r"\b(?:soba|sobei|centrala|aragaz\w*|semineu\w*|stove|heater|boiler|burner)\b[^.!?]{0,80}\b(?:atipe\w*|atipi\w*|somnolen\w*|ametea\w*|ametit\w*|"
       r"greata|dizzy|drowsy|nause\w*|dureri? de cap|headaches?)\b",
       r"\b(?:atipe\w*|atipi\w*|somnolen\w*|ametit\w*|greata|dizzy|drowsy|nause\w*)\b[^.!?]{0,80}\b(?:soba|sobei|centrala|aragaz\w*|semineu\w*|stove|heater|boiler)\b")
_widen("danger", r"\b(?:intins|culcat|zace|lying|lies|laying) (?:[\w'-]+ ){0,2}(?:pe sine|pe calea ferata|pe linia (?:ferata|de tren)|on the (?:tracks|rails|railway|train tracks))\b")
_widen("collapse", r"\b(?:stalp\w*|pole|copac\w*|tree) (?:[\w'-]+ ){0,4}(?:aplecat|inclinat|leaning|swaying)\b.{0,80}\b(?:oamenii|lumea|calatorii|people)\b (?:[\w'-]+ ){0,2}(?:dedesubt|sub el|underneath|below)")
# ... and set H's (measured blind, then studied): someone buried, a car in rising water, a child by
# the overhead wires, snow or ice falling from a roof where people walk
_widen("trapped", r"\b(?:is|are|was|got|a fost|e|este|sunt|au fost|a ramas) (?:\w+ )?(?:buried|ingropat\w*)\b",
       r"\b(?:car|masina|masin\w*) (?:is |e |este )?(?:stuck|blocat\w*|prins\w*) (?:[\w'-]+ ){0,3}(?:water|apa|flood|inundat\w*)",
       r"\bwater (?:is )?(?:rising|up to|at the|reaching the) (?:[\w'-]+ ){0,4}(?:doors|windows|seats)\b",
       r"\bapa (?:a ajuns|urca|creste|ajunge) (?:[\w'-]+ ){0,3}(?:la usi|la geamuri|in masina|la portiere)\b")
_widen("electricity", r"\b(?:kid|child|boy|girl|someone|somebody|a man|copil\w*|baiat\w*|cineva|un tanar|un om)\b[^.!?]{0,60}"
       r"\b(?:overhead (?:wires|lines)|catenar\w*|firele de contact|linia de contact|fire(?:le)? de (?:inalta )?tensiune)\b")
_widen("collapse", r"\b(?:cade|cad|falling|falls|fall|coming down|slides?) (?:[\w'-]+ ){0,3}(?:zapada|gheata|turturi\w*|snow|ice|icicles)"
       r"\s+(?:[\w'-]+ ){0,3}(?:de pe|from|off) (?:the )?(?:acoperis\w*|roof)\b.{0,80}\b(?:oameni\w*|copii\w*|parinti\w*|lume\w*|people|kids|children|parents|trecator\w*)\b")

# ... and set I's (measured blind, then studied): someone fallen into a deep hole or trench,
# a car carried off by the water with someone inside, tiles or pieces falling on people
_widen("trapped", r"\b(?:a cazut|au cazut|fell|has fallen|have fallen|s-a prabusit) (?:[\w'-]+ ){0,2}(?:in|into|intr-o|intr-un) (?:o |un |the |a )?"
       r"(?:groapa|sant\w*|put\w*|fantan\w*|canal\w*|trench|hole|pit|well|manhole|excavation)\b",
       r"\b(?:apa|raul|paraul|viitura|puhoiul|the water|the river|the flood|the current) (?:a luat|a dus|a tarat|a maturat|took|swept|carried) "
       r"(?:away )?(?:o |un |a |the )?(?:masina|car|om|person|copil|child|man|woman)\b")
_widen("collapse", r"\b(?:cade|cad|falling|fall|fell|coming down|tot cad) (?:[\w'-]+ ){0,4}(?:tigl\w*|bucat\w*|cornis\w*|tencuial\w*|caramiz\w*|tiles?|bricks?|"
       r"pieces?|chunks?)\b.{0,100}\b(?:oameni\w*|copii\w*|lume\w*|turist\w*|trecator\w*|people|kids|children|tourists|pedestrians|a (?:lovit|hit) (?:deja )?\w+)",
       r"\b(?:tigl\w*|bucat\w*|cornis\w*|tencuial\w*|caramiz\w*|tiles?|bricks?|pieces?|chunks?)\b (?:[\w'-]+ ){0,6}(?:cad|cade|falling|fall)\b.{0,100}"
       r"\b(?:oameni\w*|copii\w*|lume\w*|turist\w*|trecator\w*|people|kids|children|tourists|pedestrians|a (?:lovit|hit) (?:deja )?\w+)")
# ... everyday uses set I showed: a stop named Pompieri, a rumour or "is it true", a first-aid
# class, "dying to know", a sign or a bench that was hit or lies in the grass, "bate cu flexul"
CALM = re.compile(CALM.pattern + r"|\bis (?:it|that|this) (?:really )?true\b|\be adevarat\b|\bdid (?:it|that|this) (?:really )?happen\b"
                  r"|\ba real thing\b|\brumou?rs?\b|\bzvon\w*|\bfirst[- ]aid (?:class|course|training|lesson)\b|\bcurs\w* de prim ajutor\b")
PAST_EVENT = re.compile(PAST_EVENT.pattern + r"|\bonce (?:had|was|were)\b|\bodata (?:a fost|a avut|a fost un)\b")
SAFE = re.compile(SAFE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\b(?:stops? at|stopping at|oprește la|opreste la) pompieri\b",
    r"\bdying to (?:know|see|try|go|meet|hear)\b", r"\bmor sa (?:stiu|aflu|vad)\b",
    r"\b(?:indicator\w*|semn\w*|signs?|panou\w*|gard\w*|banc\w*|benches|bench|bin|cos\w* de gunoi|barier\w*|stalpis\w*|bollards?)\b"
    r"(?: [\w'-]+){0,8}? (?:a fost lovit\w*|zace\w*|was hit|got hit|hit by|(?:pulled out and )?thrown in(?:to)? the (?:lake|river|water))\b",
    r"\bbate cu (?:flexul|ciocanul|bormasina|barosul)\b", r"\b(?:bang\w*|hammer\w*) (?:with|all)\b",
    r"\bnu (?:mai )?(?:pot|putem|poate) (?:iesi|trece) (?:\w+ ){0,2}cu (?:valiz\w*|bagaj\w*|cumparaturi\w*|carucior\w*|masin\w*|bicicl\w*)\b")))
# ... and set J's (measured blind, then studied): a crane that tipped over, a man beaten and on the
# ground, someone on a ledge saying they will jump, the worst headache with double vision
_widen("collapse", r"\b(?:crane|macara\w*|schel\w*|scaffold\w*) (?:[\w'-]+ ){0,6}(?:tipped over|toppled|overturned|fell|collapsed|s-a rasturnat|a cazut|s-a prabusit)\b")
_widen("violence", r"\b(?:l-au|l-a|au|a|i-au) (?:batut|snopit|lovit cu picioarele)\b(?: (?:pe|on) \w+)?", r"\bbeat(?:en)? (?:him|her|the \w+) up\b")
_widen("danger", r"\b(?:saying|says|threaten\w*|zice|spune|ameninta) (?:that )?(?:they'?ll|he'?ll|she'?ll|to|ca (?:o sa |va )?|sa) (?:jump|sare|sara)\b",
       r"\b(?:on|pe) (?:the )?(?:ledge|marginea) (?:of the |a )?(?:[\w'-]+ ){0,3}(?:car park|parcari\w*|roof|acoperis\w*|bridge|pod\w*|bloc\w*|building)")
_widen("medical", r"\bvad dublu\b|\bvede dublu\b|\bdouble vision\b", r"\b(?:worst|cea mai (?:rea|puternica|cumplita)) (?:headache|durere de cap)\b",
       r"\bdurere de cap cum n-?am (?:mai )?avut\b")
# ... figures of speech and everyday words set J showed: a "time bomb", nearly having a heart attack
# at the tax bill, a blood stain, running out of gas at a petrol station, quiet now, nobody under it
SAFE = re.compile(SAFE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\bbomba cu ceas\b", r"\b(?:ticking )?time bomb\b", r"\bce bomba de\b",
    r"\bera sa (?:fac|fak) (?:un )?(?:infarct|atac de cord|atac de panica)\b", r"\b(?:nearly|almost) (?:had|gave me) a heart attack\b",
    r"\bpat\w* de sange\b", r"\bblood ?stains?\b",
    r"\b(?:nearly |almost |running |run )?out of gas\b", r"\b(?:petrol|gas) station\b", r"\bbenzinari\w*",
    r"\b(?:blocking|blocheaza|blocat\w*) (?:my |the |our )?(?:driveway|garage|exit|iesirea|poarta|intrarea)\b[^.!?]{0,60}\bcan'?t get out\b",
    r"\b(?:trees?|copac\w*|arbori\w*|puiet\w*|pomi\w*|plants?|plante\w*|flori\w*|flowers?|grass|iarba|gazon\w*)\b(?: [\w'-]+){0,4} (?:are |is )?(?:dying|dead|mor|moare)\b")))
NEGATE = re.compile(NEGATE.pattern + r"|\bnobody (?:was|is|got) under (?:it|them)\b|\bnu era nimeni (?:sub|dedesubt)\b")
NOT_NOW = re.compile(NOT_NOW.pattern + r"|\bacum e liniste\b|\b(?:it'?s|all) quiet now\b")

# ... and set K's (measured blind, then studied): a child locked in a hot car, a car driven into
# people, a fire coming down towards the houses
_widen("danger", r"\b(?:kid|child|baby|toddler|copil\w*|bebe\w*|baietel\w*|fetit\w*)\b (?:[\w'-]+ ){0,3}(?:locked|left|stuck|inchis\w*|incuiat\w*|lasat\w*|uitat\w*) "
       r"in (?:a |the |o |un )?(?:hot |incinsa )?(?:car|masina|masin\w*)\b")
_widen("accident", r"\b(?:ploughed|plowed|crashed|drove|slammed|smashed) into (?:the |a )?(?:people|crowd|pedestrians|group|queue)\b",
       r"\b(?:a intrat|a dat) (?:cu masina )?(?:in|peste) (?:oameni|multime|pietoni|lume|calatori)\b")
# (a child shut in a car is severe: "nobody around" makes it worse, never calmer)
SEVERE = re.compile(SEVERE.pattern + r"|\b(?:kid|child|baby|toddler|copil\w*|bebe\w*|baietel\w*|fetit\w*)\b (?:[\w'-]+ ){0,3}"
                    r"(?:locked|left|stuck|inchis\w*|incuiat\w*|lasat\w*|uitat\w*) in (?:a |the |o |un )?(?:hot |incinsa )?(?:car|masina)\b")
UNMISTAKABLE = re.compile(UNMISTAKABLE.pattern + r"|\bfocul (?:\w+ )?(?:coboara|se intinde|se apropie|inainteaza|vine) (?:spre|catre|la) (?:case|blocuri|casa)\b"
                          r"|\bfire (?:is )?(?:spreading|coming|moving) (?:towards?|to) (?:the )?(?:houses|homes|buildings)\b")
# ... and its figures of speech: a kettle screaming, "mi-a venit să explodez", saved from a heart
# attack, "nearly had a stroke", the English name of the emergency situations office, soot left by
# a past fire, "sounded like an explosion but it's only ...", a smell explained ("e de la resturi"),
# "are bears dangerous?", an avalanche warning lifted, supper burning
SAFE = re.compile(SAFE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\bkettle(?:'s| is)? (?:screaming|whistling|boiling)\b", r"\b(?:mi-a venit|imi vine|imi venea|era) sa (?:explodez|izbucnesc)\b",
    r"\b(?:m-?ati|m-?ai) salvat de (?:la )?un (?:atac de cord|infarct)\b", r"\bsaved me (?:from )?a heart attack\b",
    r"\b(?:nearly|almost) had a (?:heart attack|stroke)\b",
    r"\bemergency situations? (?:office|department|inspectorate|service)\b",
    r"\b(?:avalanche|avalanse?|storm|furtun\w*|cod \w+) (?:warning|alert|avertizar\w*)\b",
    r"\b(?:imi|ne|mi|ni) (?:se )?ard (?:sarmal\w*|mancare\w*|prajitur\w*|cozonac\w*|friptur\w*|cartofi\w*|chiftel\w*)\b")))
NOT_NOW = re.compile(NOT_NOW.pattern + r"|\b(?:inca )?urme de (?:funingine|fum|arsur\w*|foc)\b|\bsoot (?:marks|stains)\b"
                     r"|\b(?:sounded|sounds|looked|looks|seemed) like an? [\w'-]+,? but (?:it'?s|it was|it is) (?:only|just)\b"
                     r"|\b(?:e|este|vine) (?:doar )?de la (?:gunoi\w*|resturi\w*|tomberoan\w*|containere\w*)\b|\bnu e (?:nicio|o) scurgere\b")
INFO = re.compile(INFO.pattern + r"|\b(?:are|is) (?:the )?[\w'-]+ (?:really )?dangerous\b|\bsunt periculo\w*\b|\be periculo\w*\b")

# (issue 15, ninth round: sets F and G's false alarms, in general words)
# ... the hazard said to be absent as a finding: "nothing is sparking", "it hasn't fallen yet",
# "nu s-a prăbușit nimic", "nothing urgent"
NEGATE = re.compile(NEGATE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\bnothing (?:is |was )?(?:sparking|smoking|leaking|live|loose|falling)\b",
    r"\b(?:hasn'?t|has not|haven'?t|have not|didn'?t|did not) (?:\w+ )?(?:fallen|collapsed|come down|caught fire|given way)\b",
    r"\bnu (?:s-a|s-au) (?:prabusit|daramat|surpat|rupt|desprins) (?:\w+ )?(?:inca |deocamdata )?nimic\b",
    r"\bnu (?:a|au) (?:cazut|cedat) (?:inca|deocamdata)\b", r"\bnu (?:s-a|s-au) (?:prabusit|daramat|surpat) (?:inca|deocamdata)\b",
    # "leaking water, not gas, just water": the gas named to be ruled out
    r"\b(?:it'?s |is |e |este )?(?:not|nu|nu e|nu este) (?:a |an |o )?(?:gas leak|scurgere de gaz)\b",
    r"\b(?:am crezut|credeam|i thought|we thought)\b[^.!?]{0,60}\b(?:dar|but) (?:de fapt|actually|in fact|it'?s|it is|e)\b",
    r"\bnothing'?s (?:burning|on fire|sparking|leaking)\b", r"\bnu s-a (?:lovit|ranit|accidentat) (?:\w+ )?(?:grav|rau|tare)\b",
    r"\b(?:wasn'?t|isn'?t|not) (?:badly|seriously) (?:hurt|injured)\b",
    r"\bnot (?:the )?gas\W+(?:[\w'-]+ ){0,2}(?:just |only )?water\b", r"\b(?:just|only) water,? not (?:the )?gas\b",
    r"\bnu (?:e |este )?gaz(?:ul)?\W+(?:[\w'-]+ ){0,2}(?:e |este )?(?:doar )?apa\b", r"\bdoar apa,? nu (?:e )?gaz\b")))
NOT_NOW = re.compile(NOT_NOW.pattern + r"|\bnothing urgent\b|\bnimic urgent\b|\bnu (?:e|este) nimic urgent\b"
                     r"|\bit'?s out now\b|\b(?:s-a|a fost) stins\w*\b")
# ... asked to learn, for just in case ("cum se face masajul cardiac? pentru orice eventualitate",
# "cum opresc sângerarea ...? nu e acum, doar să știu")
CALM = re.compile(CALM.pattern + r"|\bdoar sa stiu\b|\bjust (?:to|so (?:i|we)) know\b|\bpentru orice eventualitate\b|\bjust in case\b"
                  r"|\bnu e acum\b|\bnot (?:happening )?(?:right )?now,? (?:just|only)\b")
# ... a person who does not move is a severe sign: no frame calms it
SEVERE = re.compile(SEVERE.pattern + r"|\b(?:he|she|they|the (?:man|woman|boy|girl|child|kid))(?:'s| is| are)? not moving\b")
# ... "what number do I call for a fire / an ambulance?", courses and workshops: asked to learn
NUMBER_QUESTION = _rx(r"\b(?:la )?ce numar (?:de telefon )?(?:se )?(?:sun|sunam|suna|formez|formam|apelez|apelam)\b",
                      r"\bwhat(?:'s| is)? (?:the )?(?:phone )?number (?:do |should |can )?(?:i |we |you |one )?(?:to )?(?:call|dial|ring)\b",
                      r"\bwhat(?:'s| is) the number (?:for|of) (?:the )?(?:ambulance|fire|police|firefighters|fire brigade)\b",
                      r"\b(?:care e|care este) numarul (?:de telefon )?(?:la|al|pentru) (?:ambulanta|salvare|pompieri|politie)\b")
INFO = re.compile(INFO.pattern + "|" + NUMBER_QUESTION.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\b(?:workshops?|courses?|classes|training|curs|cursuri|cursul|ateliere?|atelierul|instruir\w*)\b",
    r"\brisc\w* (?:\w+ )?(?:de )?cutremur\w*", r"\b(?:earthquake|seismic) risk\b")))
# ... danger words that name a place or a figure of speech: the emergency hospital or ward a bus
# goes to, "felt like dying in that queue", a neighbour's cigarette smoke
SAFE = re.compile(SAFE.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\b(?:spital\w*|hospital|sectia|sectie|unitatea|unit) (?:\w+ ){0,2}(?:de )?urgent\w*",
    r"\b(?:county |clinical |the )?emergency (?:hospital|ward|room|department|unit)\b",
    r"\b(?:felt|feel|feels|feeling) like (?:i was |i'?m |we were )?dying\b", r"\blike dying\b",
    r"\bdying (?:of|from) (?:boredom|laughter|curiosity|hunger|thirst|embarrassment)\b",
    r"\bmor(?:i|im|ea)? de (?:plictiseala|ras|curiozitate|foame|sete|nerabdare|rusine)\b",
    r"\bexplosion of (?!gas)\w+", r"\bexplozie de (?!gaz)\w+",
    r"\bremiz\w*(?: de pompieri)?\b", r"\bmasinile de pompieri de aproape\b",
    r"\b(?:bear|bears) (?:sanctuary|reserve|park|watching|tour|tours)\b", r"\b(?:sanctuar\w*|rezervati\w*) (?:de )?(?:ursi|urs)\b",
    r"\b(?:observ\w*|tur\w*) (?:de )?(?:ursi)\b",
    r"\bfumeaz\w*\b[^.!?]{0,60}\bfumul\b(?= (?:\w+ ){0,3}(?:intra|vine|patrunde|ajunge|se simte|urca))",
    r"\bsmok(?:es|ing)\b[^.!?]{0,60}\bsmoke\b(?= (?:\w+ ){0,2}(?:comes|gets|drifts|goes|is coming|blows))",
    r"\b(?:cigarette|tobacco|cigar|vape) smoke\b", r"\bfum(?:ul)? de (?:la )?(?:tigar\w*|tutun)\b",
    r"\b(?:blocat\w*|prins\w*) in (?:trafic|coloana|ambuteiaj)\b", r"\bstuck in (?:traffic|a (?:traffic )?jam)\b",
    # ambulances as a class of traffic that a missing sign misleads
    r"\b(?:ambulances|ambulantele|salvarile|fire (?:trucks|engines)|masinile (?:de pompieri|salvarii)) (?:\w+ ){0,2}(?:keep|drive past|miss|"
    r"can'?t find|nu (?:gasesc|gaseste)|trec pe langa|rateaza|se ratacesc|get lost)\b")))
# ... someone will die one day if it is not fixed, what the news showed elsewhere: a hazard to
# fix, not a danger now (undone, as the other frames, by a sign of danger now: ACUTE)
HYPOTHETICAL = re.compile(HYPOTHETICAL.pattern + "|" + "|".join(f"(?:{p})" for p in (
    r"\b(?:o sa|va|are sa) (?:\w+ )?(?:moara|se raneasca|se accidenteze|pateasca|se omoare) (?:cineva|careva|un om|un copil|oameni)\b",
    r"\b(?:someone|somebody|a kid|a child|people|one day someone) (?:will|is going to|'s going to|gonna) (?:\w+ )?(?:die|get (?:killed|hurt)|be killed)\b",
    r"\b(?:am vazut|am citit|am auzit|au aratat|a aparut) (?:\w+ ){0,2}(?:la stiri|in presa|pe net|in ziar|la tv)\b",
    r"\b(?:saw|read|heard|seen) (?:\w+ ){0,2}(?:in|on) the news\b", r"\bla stiri\b", r"\bin the news\b")))


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
    raw = fold_text(text).replace("\u2019", "'")
    f = SAFE.sub(" ", raw)
    first = None
    for kind, rx in STRONG.items():
        m = rx.search(f)
        if m:
            why = _calm(f, raw, text, kind)
            if not why:
                return Alarm("clear", kind, m.group(0))
            # a calmed cue ("blocat în trafic") never hides a clear one of another kind later
            # in the list ("a rupt apa și are contracții la 2 minute")
            first = first or Alarm("ambiguous", kind, m.group(0), why)
    if first is not None:
        return first
    hit = _fuzzy(f)
    if hit:
        why = _calm(f, raw, text, hit[0])
        return Alarm("ambiguous", hit[0], hit[1], why) if why else Alarm("clear", hit[0], hit[1])
    fixed = _respell(f)
    if fixed != f:                               # a misspelt cue ("gaas", "caablu", "suub"): guidance, not certainty
        for kind, rx in STRONG.items():
            m = rx.search(fixed)
            if m:
                return Alarm("ambiguous", kind, m.group(0), "respelt")
    m = WEAK.search(f)
    if m:
        # a weak cue in a message that says it is not dangerous, a question asked to learn, a
        # joke or a finished event: the guidance line, never read as an emergency
        why = _calm(f, raw, text)
        return Alarm("ambiguous", "possible_danger", m.group(0), why if why in ("negated", "past") else "weak")
    return None


# A guess, not a finding: "cred că" / "I think" before a negation ("cred că nu e nimic grav") does
# not calm an alarm. "cred că" is a hedge, never a negation: "cred că e monoxid" is an emergency
# (the hedge only matters when a negation follows). ("nobody hurt yet" still calms: residents
# write it of hazards to fix, an icy bridge, a broken slide.)
HEDGE = re.compile(r"\b(?:cred|credem|sper|speram|probabil|poate|parca|presupun|i think|i guess|i hope|we think|we hope|"
                   r"hopefully|probably|maybe|i suppose|not sure)\b(?: ca| that)?\W*$")


def _negated(f: str) -> bool:
    """A :data:`NEGATE` or :data:`NOT_NOW` frame said as a finding, not hedged (:data:`HEDGE`
    in the 25 characters before it)."""
    for rx in (NEGATE, NOT_NOW):
        for m in rx.finditer(f):
            if not HEDGE.search(f[max(0, m.start() - 25):m.start()]):
                return True
    return False


def _calm(f: str, raw: str | None = None, text: str | None = None, kind: str | None = None) -> str:
    """Why a strong cue in ``f`` is not a clear alarm: ``"negated"`` (nobody at risk, a drill, a
    dream, a question asked to learn: :data:`NEGATE`, :data:`CALM`; a hedged negation does not
    count, :func:`_negated`), ``"damped"`` (a non-urgent frame, :data:`DAMP`, with no urgent
    word), or ``""``. ``raw`` is the text before :data:`SAFE` took its phrases out (a negation such
    as "nu arde nimic" is also one of them)."""
    # (a calming word SAFE took out with its phrase, "a fire drill", still calms: read on ``raw`` too)
    if ((CALM.search(f) or (raw is not None and CALM.search(raw))) and not RIGHT_NOW.search(f)) \
            or ((_negated(f) or (raw is not None and _negated(raw)))
                                                      and not SEVERE.search(f)):
        return "negated"
    if not ACUTE.search(HYPO_CLAUSE.sub(" ", f)):
        # (five-set round) a question asked to learn, a hypothetical, a joke; a finished event
        if (INFO.search(f) and QUESTION.search(raw if raw is not None else f) and (kind is None or kind in HAZARDS)) \
                or (NUMBER_QUESTION.search(f) and not PEOPLE.search(f)) \
                or HYPOTHETICAL.search(f) \
                or (LAUGH.search(text if text is not None else f) and not SERIOUS.search(f)):
            return "negated"
        if PAST_EVENT.search(f):
            return "past"
    if DAMP.search(f) and not URGENT.search(f) and not RIGHT_NOW.search(f) and not UNMISTAKABLE.search(f):
        return "damped"
    return ""



def frame(text: str) -> str:
    """Why the words around any danger in ``text`` say it is not one now: ``"negated"`` (nobody at
    risk, a drill, a question asked to learn, a hypothetical, a joke), ``"past"`` (a finished
    event), ``"damped"`` or ``""`` — :func:`_calm` on the message alone, for a reading the model
    made without a cue (nlu: the model's own "emergency" in such a frame is acted on only when it
    is very sure)."""
    raw = fold_text(text).replace("\u2019", "'")
    return _calm(SAFE.sub(" ", raw), raw, text)

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
            "someone", "inside", "people", "after", "line", "lines", "cable", "cables", "wire", "wires", "nobody",
            "bear", "bears", "urs", "ursi", "ursul", "ursii", "lup", "lupi", "lupul", "lupii", "wolf", "wolves", "stuck",
            "talk", "speak", "stand", "door", "window", "touch", "lying", "water", "ground", "still", "things"}
_CUE_WORDS = sorted({w for rx in STRONG.values() for w in re.findall(r"\b[a-z]{3,}\b", re.sub(r"\\[a-zA-Z]|\?<?[!=:]", " ", rx.pattern))}
                    - _GENERIC)
_CUE_SET = frozenset(_CUE_WORDS)
# everyday words one letter away from a cue word ("might"/"fight", "slab"/"stab"): never respelt
_COMMON = frozenset("might night right light tight sight eight fine line mine wire hire tire fires sire slab stay "
                    "shot shop shut hurry harm farm form fume fare care bleep sleep ring king bate date gate fate "
                    "lines ride wide side tide rate late mate hate gaze daze haze soft left doing going citit citi citite cititi "
                    "attach attached attaching beers beard flight flights short shorts".split())
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
        if tok.startswith("urgen") and tok != "urgenta":   # "urgent", "urgente": a hurry, not an emergency
            continue
        m = process.extractOne(tok, _FUZZY_WORDS, scorer=fuzz.ratio, score_cutoff=84)
        if m:
            return FUZZY[m[0]], tok
    return None


KINDS = tuple(STRONG) + ("possible_danger",)
