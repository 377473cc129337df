"""The citizen assistant: understands, asks for what is missing, confirms, acts, or hands off.

``Chatbot.reply(session_id, text, profile=None) -> {intent, confidence, slots, text, actions}``

A session remembers the intent being served, its slots, the slot it asked for and whether it
is waiting for a yes/no. Each turn:

1. empty, emoji-only or over-long text is answered without failing;
2. the message is understood (:mod:`services.chatbot.nlu`); an answer to a pending question
   fills that slot (or says yes/no) instead of starting over;
3. **emergencies** get 112 guidance before anything else;
4. confidence below ``threshold`` → a clarifying question (never a guess); ``out_of_scope`` →
   what the assistant can do;
5. the intent's required slots are asked for one by one (which street? which tax?), actions
   that change something are confirmed first, then **done** through the real services:

   ============================ ====================================================
   report_issue                 an Open311 request at the geocoded street
                                (:meth:`services.hall.CityHall.submit`)
   request_status               :meth:`services.hall.CityHall.get`
   pay_tax                      a quote, then :meth:`ledger.ledger.Ledger.pay` → payment reference
                                (queued; anchored on chain with the next batch, never one
                                transaction per payment)
   permit_apply                 a permit application (a city-hall request of the permit's service)
   permit_verify                :meth:`ledger.ledger.Ledger.verify_permit`
   transport_schedule           next departures from the GTFS timetable at the (simulated) time
   office_info, documents_info  the knowledge base (:mod:`services.chatbot.knowledge`)
   human_agent                  a place in the operators' queue
   ============================ ====================================================

Replies are in the citizen's language (Romanian or English; Hungarian speakers get Romanian),
short and plain for citizens whose profile asks for plain language.

Sessions are kept in a bounded cache (:class:`cachetools.TTLCache`): at most ``max_sessions``
(10 000 by default; the least recently used one goes first when it is full), and a session idle
for ``session_ttl`` seconds (1 hour, on the assistant's clock — simulated time in a run) is
forgotten, so a server that talks to many citizens does not grow without end. A citizen who
comes back after that starts a new conversation.

A profile with ``"may_act": False`` (an anonymous caller of ``POST /chat``) is answered as
usual, but the actions that change something (report_issue, pay_tax, permit_apply) are not
done: the reply says an API key is needed (action ``{"type": "key_required"}``).
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cachetools import TTLCache

from services.chatbot import knowledge as KB
from services.chatbot import journeys as J
from services.chatbot import references as R
from services.chatbot.nlu import (IntentModel, SlotExtractor, Understander, Understanding, detect_language)
from twin.engine import TZ
from twin.text import fold_text, fold_words

MAX_TEXT = 2000
# a journey asked for when the lines have stopped for the night is planned from this hour (local)
MORNING_HOUR = 4
# words around a name that say nothing of the writer's language ("Strada Lungă nr 5, bl 3")
NAME_WORDS = {"strada", "str", "bulevardul", "bd", "bdul", "calea", "aleea", "piata", "nr", "no", "bl", "sc", "ap", "statia"}
REQUIRED = {"report_issue": ("category", "street"), "request_status": ("request_id",), "pay_tax": ("tax_type",),
            "permit_apply": ("permit_type",), "permit_verify": ("permit_id",), "transport_schedule": ("stop",)}
CONFIRM = ("report_issue", "pay_tax", "permit_apply")
YES = re.compile(r"^\W*(da|dap|sigur|desigur|confirm\w*|corect|exact|ok|okay|oki|k|yes|yeah|yep|ya|sure|correct|y|d|"
                 r"hai|bine|perfect|absolut|go ahead|do it|please do|of course|fa-?o|continua\w*|plateste|trimite)\b", re.I)
NO = re.compile(r"^\W*(nu|no|nope|nah|anuleaza|anulez|cancel\w*|n|stop|renunt\w*|lasa|never ?mind|not now|"
                r"nu acum|nu mai)\b(?![ ,]+(?:injur\w*|one\b|body|danger|problem\w*|worr\w*|rush|damage|harm|victim\w*|"
                r"e nimeni|a fost nimeni|s-a ranit|sunt raniti|e grav|e urgent|urgent))", re.I)
# a yes later in a short answer ("no one hurt, yes file it", "nu e nimeni rănit, da, trimiteți")
YES_LATER = re.compile(r"\b(?:yes|yep|yeah|da|confirm\w*|go ahead|file it|please file|trimite(?:ti)?|inregistrati|depuneti)\b")
REFUSE = re.compile(r"\b(?:don'?t|do not|nu (?:vreau|trimite\w*|confirm\w*|inregistra\w*)|not yet|cancel\w*|anul\w*)\b")
# (ninth round) a refusal said in words: a "nu" that opens a longer sentence without one of these
# answers something else ("nu, nu știu cine îi aruncă", "nu, nu vreau să vorbesc cu nimeni la
# telefon, doar să fie înregistrată") and the confirmation is asked again
REFUSE_WORDS = re.compile(r"\b(?:anul\w*|renunt\w*|cancel\w*|nu (?:mai )?(?:o |il |le )?(?:trimite\w*|trimit\w*|inregistra\w*|depune\w*|"
                          r"confirm\w*|plati\w*|plateste|platesc|face\w*)|(?:don'?t|do not) (?:send|file|submit|pay|do|confirm)|"
                          r"not (?:now|yet)|nu (?:acum|inca)|never ?mind|lasa|nu mai vreau|no thanks|nu,? multumesc|"
                          r"m-am razgandit|changed my mind|stop)\b|\bnu vreau\W*$|\bi don'?t want (?:it|to|that)?\W*$")
# "nr 19 cred", "numărul 7", "no. 12": a house number and hardly anything else
HOUSE_NO = re.compile(r"^\W*(?:nr\.?|numarul|numar|no\.?|number|house number|la numarul|la nr\.?)\s*(\d{1,4}[a-z]?)\b"
                      r"(?:\W+(?:cred|parca|i think|probably|probabil|cam|aprox\w*))?\W*$")
# "no photo", "n-am poză", "nu am număr": something the citizen does not have, asked with nothing
NO_THING = re.compile(r"^\W*(?:no|nu am|n-?am|nu avem|n-?avem|fara|without|i have no|i don'?t have(?: a| an| any)?) "
                      r"(?:photos?|pictures?|pics?|poze?|fotografi\w*|foto|number|numar\w*|nr|idea|idee|details|detalii|address|adresa)\b|"
                      r"^\W*(?:poz\w*|foto\w*|photos?|pictures?|numar\w*|number) (?:n-?am|nu am|nu avem|n-?avem|i don'?t have|no)\b")
# a yes that names the action ("da, trimite sesizarea", "yes, go ahead with the payment"): right
# after a refusal it takes the refusal back; a bare "ok" does not
YES_ACT = re.compile(r"\b(?:trimite\w*|trimit|inregistr\w*|depune\w*|plate?s?te\w*|platiti|send|file|submit|pay|go ahead|proceed|"
                     r"confirm\w*|do it)\b")
# a message asked as a question ("se poate plăti impozitul în rate?", "can I pay the car tax online?")
ASKED = re.compile(r"\?|^\W*(?:se poate|se pot|pot|putem|cum|cand|unde|care|cat|de ce|exista|can|could|how|when|where|is it|"
                   r"do i|is there|are there|what)\b")
# the model's least confidence in a report that names its category to go on as a report
REPORT_WITH_CATEGORY = 0.3
# side questions a pending task waits through ("is there a discount if I pay the whole year now?")
SIDE = ("tax_info", "office_info", "documents_info", "transport_schedule")


def _yes(f: str) -> bool:
    """A yes to a confirmation: at the start ("da", "ok"), or later in a short answer that refuses nothing."""
    return bool(YES.search(f) or (len(f.split()) <= 12 and YES_LATER.search(f) and not REFUSE.search(f)
                                  and not NO.search(f)))


# "not now": a yes that puts it off ("ok, I'll pay next week") is a no
LATER = re.compile(r"\b(?:next week|later|tomorrow|another time|some other time|not (?:yet|today)|saptamana viitoare|"
                   r"luna viitoare|mai tarziu|maine|alta data|nu (?:inca|azi|astazi))\b")
# a citizen correcting what they said ("Strada Sforii... nu, scuze, Strada Cerbului"; "it's not
# the light, it's a pothole"): the details after the last of these words replace the earlier ones
# the questions a number answers: (intent, its key slot)
KEYED = (("request_status", "request_id"), ("permit_verify", "permit_id"))
CORRECTION = re.compile(r"(?:(?:\.{2,}|…)\s*(?:nu|no)\s*,)|\b(?:de fapt|scuze|pardon|adica|ba nu|gresit|i mean|actually|sorry|wait|correction|typo|"
                        r"my mistake|greseala mea|stai|nu,? stai|no,? wait|hold on)\b")
# the words of a yes or of "send it", left when a confirmation names a street ("da, Michael Weiss")
YES_WORDS = {"da", "yes", "yep", "yeah", "ok", "okay", "sure", "trimite", "trimiteti", "te", "va", "rog", "please", "go",
             "ahead", "confirm", "confirmati", "corect", "exact", "bine", "send", "it", "file", "submit", "si", "and", "pe", "on",
             "dar", "but", "strada", "str", "street", "acolo", "there", "the", "inregistrati", "perfect", "super", "mersi", "thanks"}
NEGATED = re.compile(r"\b(?:nu (?:e |este )?(?:pe|in|la|de pe|pe strada|on|at) [^,.;!?]*|not (?:on|at|in) [^,.;!?]*|"
                     r"nu (?:e|este) (?:un |o )?\w+|not (?:the |a |an )?\w+|isn'?t (?:the |a |an )?\w+)")
# a "no" at a confirmation that answers something else: the house number not known, not urgent,
# no idea of the exact place ("nu știu numărul exact", "no, no house number", "nu, nu e urgent").
# The confirmation is asked again instead of cancelled (a plain "nu" or "no, cancel it" cancels).
NOT_A_REFUSAL = re.compile(r"\b(?:nu (?:stiu|stim|am|are|e|este|exista|cunosc)\b(?: \w+){0,2} (?:numar\w*|nr|adresa exacta|exact\w*)|"
                           r"(?:no|nu|fara|without|don'?t know|not sure of|n-am) (?:the |a |an |exact |house |un )?"
                           r"(?:house |exact |street )?(?:number|numar\w*|nr\b)|"
                           r"nu stiu (?:exact|sigur|precis)|(?:i )?don'?t know (?:the )?exact\w*|no idea (?:of|about) the (?:number|exact)|"
                           r"nu (?:e|este) (?:urgent|grav|periculos|nevoie de 112)|not (?:urgent|an emergency|dangerous)|"
                           r"nobody (?:is )?(?:hurt|in danger)|nu (?:e|este) nimeni (?:ranit|in pericol))")
# a "nu"/"no" that starts a sentence about the problem, not an answer ("nu mai poți urca cu
# mașina", "no lights at all on it"): a negated verb or noun, with no comma after the no; the
# words of a refusal ("nu mai vreau", "nu, mulțumesc", "no thanks") are left to NO
DETAIL_NO = re.compile(r"^\W*(?:nu|no)\s+(?:mai\s+)?(?!(?:vreau|vrem|e nevoie|este nevoie|mai e|trimit\w*|confirm\w*|multumesc|"
                       r"mersi|acum|inca|azi|anul\w*|renunt\w*|lasa|conteaza|stai|pe|in|la|e|este|asta|aia|thanks|thank|"
                       r"cancel\w*|send|file|now|need|want|wait|on|at|in|it|its|it'?s|that'?s|that|this|please|way|not|sorry|"
                       r"nu|no|don'?t|do|i)\b)[a-z]{2,}(?:\s+[a-z]+){2,}")
# chatbot category slot → Open311 service code (from agents.categories)
CATEGORY_SERVICE = {"streetlight": "public_lighting", "pothole": "streets", "garbage": "sanitation",
                    "illegal_parking": "illegal_parking", "green_space": "parks", "road_sign": "road_signs",
                    "water_sewer": "water_sewer", "noise": "noise", "illegal_construction": "illegal_construction",
                    "public_transport": "public_transport", "other": "other"}
TAX_LEDGER = {"property": "building", "land": "land", "vehicle": "vehicle"}
KEY_REQUIRED = {"ro": "Pentru a depune o sesizare, a cere o autorizație sau a plăti este nevoie de o cheie API "
                      "(api_key). Vă pot răspunde în continuare la întrebări.",
                "en": "Filing a request, applying for a permit or paying needs an API key (api_key). "
                      "I can still answer your questions."}


@dataclass
class Session:
    intent: str | None = None
    slots: dict = field(default_factory=dict)
    asking: str | None = None
    confirming: bool = False
    lang: str = "ro"
    turns: int = 0
    handed_off: bool = False
    resolved: int = 0
    history: list = field(default_factory=list)   # [(message, intent, slots)] for the operator's summary
    screen_reader: bool = False
    may_act: bool = True        # False: this caller may ask, not file, apply or pay (no API key)
    clarified: str = ""         # the message last answered with a clarifying question
    cancelled: tuple | None = None  # (intent, slots) of a confirmation just refused, for one turn
    suspended: tuple | None = None  # (intent, slots, asking, confirming) left for a side question


class Chatbot:
    """See the module docstring.

    Parameters
    ----------
    hall
        A :class:`services.hall.CityHall` (reports, status, permit applications); None: those
        actions answer that the service is unavailable.
    ledger
        A :class:`ledger.ledger.Ledger` (payments, permit checks), or None.
    area
        A :class:`services.geo.CityArea` of the city (streets, geocoding).
    timetable
        A :class:`twin.gtfs.Timetable`, or None.
    clock
        Function returning the current datetime (the simulated one in a run). A naive one is
        taken as local time; an aware one is converted to Europe/Bucharest. Default: the
        machine's clock *in Europe/Bucharest* (never its UTC).
    city
        The :class:`twin.city.City` whose town hall the assistant describes when there is no
        ``area`` (Brașov: the real one; the demo town: its synthetic one).
    threshold
        Minimum confidence to act on an intent.
    planner
        A journey planner (:class:`twin.transit.Planner`; in a run the journeys component's, on the
        city's walk graph) for "how do I get from A to B"; None: one is built on the timetable
        (straight-line walks) the first time it is needed.
    max_sessions, session_ttl
        Bound of the sessions kept (see the module docstring): how many, and after how many
        idle seconds (on ``clock``) one is forgotten.
    """

    def __init__(self, *, hall=None, ledger=None, area=None, timetable=None, clock=None, model=None,
                 threshold: float = 0.40, city=None, max_sessions: int = 10_000, session_ttl: float = 3600.0,
                 planner=None):
        self.hall, self.ledger, self.area, self.timetable = hall, ledger, area, timetable
        self.planner = planner
        self.clock = clock or (lambda: datetime.now(TZ))
        self.city = city
        streets = area.city.street_names if area is not None else ()
        stops = timetable.station_name if timetable is not None else ()
        lines = timetable.route_short if timetable is not None else ()
        districts = [d.name for d in area.city.districts] if area is not None else ()
        self.nlu = Understander(model or IntentModel.load(), SlotExtractor(streets, stops, lines, districts))
        self.threshold = threshold
        warm_up()                 # build the lazy tables now, not during a citizen's first reply
        if max_sessions < 1 or session_ttl <= 0:
            raise ValueError(f"max_sessions ({max_sessions}) must be >= 1 and session_ttl ({session_ttl}) > 0")
        self.sessions: TTLCache = TTLCache(max_sessions, session_ttl, timer=self._now_seconds)
        self._last_seconds = float("-inf")
        self.operators: deque[str] = deque()
        self.stats = {"turns": 0, "handoffs": 0, "actions": {}, "clarify": 0, "emergency": 0}

    def _now_seconds(self) -> float:
        """The clock in seconds, never going back (the sessions' time-to-live is counted on it)."""
        self._last_seconds = max(self._last_seconds, self.clock().timestamp())
        return self._last_seconds

    def understand(self, text: str, lang: str = "ro") -> Understanding:
        return self.nlu(text, lang)

    # ---- one turn -----------------------------------------------------------------------------
    def reply(self, session_id: str, text, profile: dict | None = None) -> dict:
        """Answer one message (see the module docstring)."""
        prof = profile or {}
        sid = str(session_id)
        s = self.sessions.get(sid)
        if s is None:
            s = self.sessions[sid] = Session(lang=_lang(prof.get("language", "ro")))
        s.turns += 1
        s.may_act = bool(prof.get("may_act", True))
        self.stats["turns"] += 1
        needs = prof.get("access_needs") or []
        # simpler wording for plain-language needs and for citizens with low digital skills
        plain = "plain_language" in needs or prof.get("persona") == "elderly_low_digital"
        s.screen_reader = "screen_reader" in needs
        if not isinstance(text, str) or not text.strip():
            return self._out(s, "none", 0.0, {}, KB.say("empty", s.lang, plain))
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT]
        if not re.search(r"[A-Za-z0-9ĂÂÎȘȚăâîșțşţ]", text):
            return self._out(s, "none", 0.0, {}, KB.say("no_words", s.lang, plain))
        u = self.nlu(text, s.lang)
        s.history = (s.history + [(text[:300], u.intent, {k: v for k, v in u.slots.items() if k in SUMMARY_SLOTS})])[-12:]
        # per message: the language this message is written in; an answer to a pending question
        # ("Strada Lungă 5", "da") keeps the conversation's language unless its words say otherwise
        pending = bool(s.intent and (s.asking or s.confirming)) or self._only_names(text)
        s.lang = detect_language(text, s.lang, trigrams=not pending, diacritics=not pending)
        u.lang = s.lang
        if u.alarm is not None and u.alarm.why == "net" and s.intent and s.asking and self._fills(s, text):
            # the answer to the question asked ("Pe Calea Feldioarei, între ultimul depozit și
            # pod"), no danger word in it: the model's faint "emergency" is not a reason for 112
            u.alarm = None
        out = self._turn(s, text, u, plain)
        if u.alarm is not None and out["intent"] != "emergency":
            # an ambiguous alarm: 112 guidance first, then the normal answer
            self.stats["emergency_guidance"] = self.stats.get("emergency_guidance", 0) + 1
            out["text"] = KB.emergency(u.alarm.kind, s.lang, plain, maybe=True) + "\n\n" + out["text"]
            out["actions"] = [{"type": "emergency_guidance", "number": "112", "level": "ambiguous"}] + out["actions"]
        return out

    def _only_names(self, text: str) -> bool:
        """Whether ``text`` is a street or stop name (with a number) and hardly anything else
        ("Strada Lungă 5", "Livada Poștei"): a Romanian name says nothing of the writer's language."""
        words = fold_words(text).split()
        if not words or len(words) > 6:
            return False
        ex = self.nlu.slots
        street, _ = ex.street(text)
        named = set(fold_words(street or "").split()) | set(fold_words(ex.stop(text) or "").split())
        rest = [w for w in words if w not in named and not w.isdigit() and w not in NAME_WORDS]
        return bool(named) and len(rest) <= 1

    def _turn(self, s: Session, text: str, u: Understanding, plain: bool) -> dict:
        if u.intent == "emergency" and u.confidence >= self.threshold:
            out = self._emergency(s, u, plain)
            # if the next message goes on with a report ("someone dumped old furniture ... attracting
            # rats"; "a big tree is leaning over the road", then "Castanilor street", "it hasn't
            # fallen, nobody is hurt"), what this one said still counts for it
            s.clarified = text
            return out
        f = fold_text(text)
        cancelled, s.cancelled = s.cancelled, None
        if cancelled and not s.intent and YES_ACT.search(f) and _yes(f) and len(f.split()) <= 10:
            # "Bine, am anulat." – "Da, trimite sesizarea.": the refusal was a misunderstanding
            s.intent, s.slots, s.asking, s.confirming = cancelled[0], dict(cancelled[1]), None, False
            return self._act(s, 1.0, plain)
        suspended, s.suspended = s.suspended, None
        if suspended and not s.intent and (u.confidence < self.threshold or _yes(f) or YES_ACT.search(f)
                                           or u.intent == suspended[0]):
            # back to the task a side question interrupted ("is there a discount if I pay the
            # whole year now?" – the answer – "OK, then the whole year"): it is asked again
            s.intent, s.slots, s.asking, s.confirming = suspended[0], dict(suspended[1]), suspended[2], suspended[3]
            if u.intent == suspended[0]:
                s.slots.update({k: v for k, v in u.slots.items() if k in SUMMARY_SLOTS})
                if s.asking in s.slots:
                    s.asking = None
                return self._advance(s, 1.0, plain)
            if s.confirming and not _yes(f):
                return self._out(s, s.intent, 1.0, s.slots, self._confirmation(s, plain))
            return self._continue(s, text, u, plain)
        # an answer to a pending question, unless the citizen clearly changed the subject
        if s.intent and (s.asking or s.confirming):
            yes_no = s.confirming and (_yes(f) or NO.search(f))
            escape = (u.intent in ("emergency", "human_agent", "goodbye") and u.confidence >= 0.8) or \
                (u.intent == "human_agent" and u.confidence >= 0.6)   # "de fapt vreau să vorbesc cu cineva"
            switch = u.confidence >= 0.8 and u.intent != s.intent and not self._fills(s, text) \
                and not (s.confirming and u.intent in ("out_of_scope", "feedback", "thanks"))
            # (a confirmation pending, "Poza n-am, scuze" or "thanks, that's all" is no new task)
            # a permit's or a request's number with the other question ("PRR-2026-0412, is it
            # active?" while asked which permit to apply for): the question the number goes with
            if s.intent in ("permit_apply", "permit_verify") and u.intent == "request_status" and "permit_id" not in s.slots:
                pid = R.permit_id(fold_text(text))   # a number in a talk about permits is a permit's
                if pid:
                    u.intent, u.slots = "permit_verify", {**u.slots, "permit_id": pid}
                    u.slots.pop("request_id", None)
            house = s.intent == "report_issue" and s.slots.get("street") and HOUSE_NO.match(f)
            keyed = not house and u.intent != s.intent and any(u.intent == i and k in u.slots and k not in REQUIRED.get(s.intent, ())
                                                 for i, k in KEYED) and not self._fills(s, text)
            switch = switch or keyed
            if yes_no or not (escape or switch):
                return self._continue(s, text, u, plain)
            if u.intent in SIDE and s.intent in CONFIRM:
                s.suspended = (s.intent, dict(s.slots), s.asking, s.confirming)
        if u.intent == "out_of_scope" and any(i == "transport_schedule" and p >= 0.25 for i, p in u.ranked[:2]):
            # a journey question to a place the city's data name ("how do I get to the airport?"),
            # the model unsure between the two: a journey, not out of scope
            parts = J.route_parts(fold_text(text))
            if parts is not None and self._place(parts[1]) is not None:
                u.intent, u.confidence = "transport_schedule", max(u.confidence, self.threshold)
                u.slots = self.nlu.slots.extract(text, "transport_schedule")
        if u.confidence < self.threshold and u.slots.get("line") and len(s.history) >= 2 \
                and s.history[-2][1] == "transport_schedule":
            u.intent, u.confidence = "transport_schedule", self.threshold   # "line 4 please", after a timetable answer
        if u.confidence < self.threshold and s.clarified and len(fold_text(text).split()) <= 12:
            # two unclear messages in a row may be clear together ("I'd like to check on a report
            # I made", then "it's 50377"): read as one, the newest last
            both = self.nlu(s.clarified.split(" \n ")[-1] + " \n " + text, s.lang)
            if both.confidence >= self.threshold and both.intent in REQUIRED and both.alarm is None:
                u = both
        if REPORT_WITH_CATEGORY <= u.confidence < self.threshold and u.intent == "report_issue" \
                and u.slots.get("category") and (u.alarm is None or u.alarm.why in ("model", "net")):
            # the model unsure, but the message names a problem of the street ("water coming up
            # through the asphalt"): a report, whose street is asked and which is confirmed before
            # anything is filed
            u.confidence = self.threshold
        if u.confidence < self.threshold:
            self.stats["clarify"] += 1
            # what was said before the last clarifying question still counts ("pothole!!", then "Zizinului")
            s.clarified = (s.clarified + " \n " + text)[-600:] if s.clarified else text
            return self._out(s, "clarify", u.confidence, u.slots, KB.say("clarify", s.lang, plain),
                             [{"type": "clarify", "candidates": [i for i, _ in u.ranked]}])
        clarified, s.clarified = s.clarified, (text if u.intent == "out_of_scope" else "")
        s.intent, s.slots, s.asking, s.confirming = u.intent, dict(u.slots), None, False
        if u.intent == "pay_tax" and ASKED.search(f):
            s.slots["_asked"] = True    # the payment is offered after the answer, never assumed ("_": not shown)
        tail = self._correction_tail(text)
        if tail:                                     # "linia 7, adică nu, 17": what follows the correction wins
            fixed = {k: v for k, v in self.nlu.slots.extract(tail, u.intent).items() if k in SUMMARY_SLOTS}
            bare = re.match(r"\W*(?:nu\W+|no\W+)?(\d{1,3}[a-z]?)\b", tail)
            if "line" in s.slots and "line" not in fixed and bare:
                fixed["line"] = bare.group(1).upper()
            s.slots.update(fixed)
        if u.intent == "transport_schedule" and "stop" not in s.slots and len(s.history) >= 2 \
                and s.history[-2][1] == "transport_schedule" and s.history[-2][2].get("stop"):
            # a follow-up about the same stop ("next bus from Stadionul?", then "line 23 please")
            s.slots["stop"] = s.history[-2][2]["stop"]
        if u.intent == "pay_tax" and "tax_type" not in s.slots and not s.slots.get("fine") and len(s.history) >= 2 \
                and s.history[-2][1] in ("tax_info", "pay_tax") and s.history[-2][2].get("tax_type"):
            # "cât e impozitul pe teren?", then "ok, vreau să-l plătesc": the tax just asked about
            s.slots["tax_type"] = s.history[-2][2]["tax_type"]
        if clarified and u.intent in REQUIRED:
            # the message that was not clear enough ("construction noise at 5:30 every morning")
            # still said something: what it names for the intent now understood fills the gaps
            for k, v in self.nlu.slots.extract(clarified, u.intent).items():
                s.slots.setdefault(k, v)
        return self._advance(s, u.confidence, plain)

    @staticmethod
    def _correction_tail(text: str) -> str:
        """The words after the last correction word of ``text`` that is followed by something
        ("stai că am greșit, e pe Aurel Vlaicu, nu pe Avram Iancu, scuze": after "greșit", not
        the closing "scuze"), negated words left out; or ""."""
        f = fold_text(text)
        for m in reversed(list(CORRECTION.finditer(f))):
            tail = NEGATED.sub(" ", f[m.end():]).strip()
            if len(re.findall(r"[a-z0-9]+", tail)) >= 1 and re.search(r"[a-z0-9]{2,}", tail):
                return tail
        return ""

    def _emergency(self, s: Session, u: Understanding, plain: bool) -> dict:
        """112 guidance, before anything else; a pending question or confirmation is dropped."""
        self.stats["emergency"] += 1
        s.intent, s.slots, s.asking, s.confirming = None, {}, None, False
        kind = u.alarm.kind if u.alarm is not None else "danger"
        level = u.alarm.level if u.alarm is not None else "clear"
        return self._out(s, "emergency", u.confidence, dict(u.slots), KB.emergency(kind, s.lang, plain),
                         [{"type": "emergency_guidance", "number": "112", "level": level, "kind": kind}])

    def _fills(self, s: Session, text: str) -> bool:
        return bool(s.asking and self._slot_from_answer(s, s.asking, text))

    def _corrected(self, s: Session, text: str) -> bool:
        """Apply a correction ("nu, scuze, Strada Cerbului"; "it's not the light, it's a pothole"):
        the slots named after the last correction word, negated words left out, replace those
        given before. True if something changed."""
        tail = self._correction_tail(text)
        if not tail:
            return False
        # what the whole message names ("linia 7, adică nu, 17, din stația Saturn": the stop), and
        # over it what the correction names (the line 17)
        new = {k: v for k, v in self.nlu.slots.extract(NEGATED.sub(" ", fold_text(text)), s.intent).items()
               if k in SUMMARY_SLOTS and k not in ("street", "number")}
        new.update({k: v for k, v in self.nlu.slots.extract(tail, s.intent).items() if k in SUMMARY_SLOTS})
        if s.intent == "transport_schedule" and R.line(tail, self.nlu.slots.lines) is None:
            # "adică nu, vreau 140": a bare number that is one of the city's lines replaces the line
            lines = self.nlu.slots.lines
            bare = next((t.upper() for t in re.findall(r"\b(\d{1,3}[a-z]?)\b(?! ?(?:min|lei|ani|de minute))", tail)
                         if not lines or t.upper() in lines), None)
            if bare:
                new["line"] = bare
        if s.intent == "report_issue" or s.asking == "street":
            street, number = self.nlu.slots.street(tail)
            if street:
                new["street"] = street
                if number:
                    new["number"] = number
        changed = {k: v for k, v in new.items() if s.slots.get(k) != v}
        s.slots.update(changed)
        if s.asking in s.slots:
            s.asking = None
        return bool(changed)

    def _continue(self, s: Session, text: str, u: Understanding, plain: bool) -> dict:
        if self._corrected(s, text):
            s.confirming = False
            return self._advance(s, 1.0, plain)
        if s.confirming:
            if LATER.search(fold_text(text)):
                intent = s.intent
                s.intent, s.slots, s.confirming = None, {}, False
                return self._out(s, intent, 1.0, {}, KB.say("cancelled", s.lang, plain))
            if _yes(fold_text(text)):
                s.confirming = False
                if s.intent == "report_issue":
                    # "da, pe Aurel Vlaicu. trimite": the street said with the yes is the one meant
                    street, number = self.nlu.slots.street(text)
                    rest = [w for w in fold_words(text).split() if w not in YES_WORDS]
                    if street is None and rest:
                        # "da, Michael Weiss": a street's own name, exactly (never a guess from "da, asta e")
                        street = self.nlu.slots.streets.get(" ".join(rest))
                    if street and street != s.slots.get("street"):
                        s.slots["street"] = street
                        s.slots.pop("number", None)
                        if number:
                            s.slots["number"] = number
                return self._act(s, 1.0, plain)
            if DETAIL_NO.search(fold_text(text)) and not REFUSE.search(fold_text(text)):
                # "nu mai poți urca cu mașina": more about the problem, not a refusal; asked again
                return self._out(s, s.intent, 1.0, s.slots, self._confirmation(s, plain))
            if NO.search(fold_text(text)) and NOT_A_REFUSAL.search(fold_text(text)) and \
                    not REFUSE.search(re.sub(r"\b(?:don'?t|do not) know\b", " ", fold_text(text))):
                # "nu știu numărul exact", "no, no house number, it's the one with the red awning":
                # the no answers something else; the confirmation is asked again
                return self._out(s, s.intent, 1.0, s.slots, self._confirmation(s, plain))
            f = fold_text(text)
            m = HOUSE_NO.match(f) if s.intent == "report_issue" and s.slots.get("street") else None
            if m:
                # "nr 19 cred": the house number, said while the report waits for a yes
                s.slots["number"] = m.group(1).upper()
                return self._out(s, s.intent, 1.0, s.slots, self._confirmation(s, plain))
            if NO_THING.search(f) and not REFUSE_WORDS.search(f):
                # "no photo sorry", "n-am poză": a thing the citizen does not have, not a refusal
                return self._out(s, s.intent, 1.0, s.slots, self._confirmation(s, plain))
            if NO.search(f) and YES_ACT.search(f) and not REFUSE_WORDS.search(f) and not REFUSE.search(f):
                # "nu, doar atât. trimite": no more to add, and send it
                s.confirming = False
                return self._act(s, 1.0, plain)
            if NO.search(f) and len(fold_words(text).split()) > 4 and not REFUSE_WORDS.search(f):
                if s.intent == "report_issue" and re.search(r"\b(?:alta|other|another|wrong|gresit\w*|nu e pe) (?:strada|street|adresa|address)\b", f):
                    # "nu, e pe altă stradă": the street is asked again
                    s.slots.pop("street", None)
                    s.slots.pop("number", None)
                    s.confirming, s.asking = False, "street"
                    return self._out(s, s.intent, 1.0, s.slots, KB.ask("street", s.lang, plain))
                # "nu, nu știu cine îi aruncă": the no answers something else; asked again
                return self._out(s, s.intent, 1.0, s.slots, self._confirmation(s, plain))
            if NO.search(f):
                intent = s.intent
                s.cancelled = (intent, dict(s.slots))
                s.intent, s.slots, s.confirming = None, {}, False
                return self._out(s, intent, 1.0, {}, KB.say("cancelled", s.lang, plain))
            if s.intent == "report_issue":
                # "Michael Weiss, în centru" asked to confirm another street: the street said now
                street, number = self.nlu.slots.street(text if re.search(r"\b(str|strada|bd|bulevardul|calea|aleea|"
                                                                         r"street|st|pe|on)\b", fold_text(text))
                                                        else f"pe {text}")
                if street and street != s.slots.get("street"):
                    s.slots["street"] = street
                    s.slots.pop("number", None)
                    if number:
                        s.slots["number"] = number
                return self._out(s, s.intent, 1.0, s.slots, self._confirmation(s, plain))
            return self._out(s, s.intent, 1.0, s.slots, KB.say("yes_or_no", s.lang, plain))
        value = self._slot_from_answer(s, s.asking, text)
        if value is None and s.asking == "stop" and s.intent == "transport_schedule" and "line" not in s.slots:
            # a line given when asked for the stop ("spre Poiana?", "Din ce stație?", "20"): kept,
            # and the stop asked again
            f = fold_text(text)
            bare = re.fullmatch(r"\W*(?:linia|line|the|nr\.?|cu)?\s*(\d{1,3}[a-z]?)\W*", f)
            ln = R.line(f, self.nlu.slots.lines) or (bare.group(1).upper() if bare else None)
            if ln and (not self.nlu.slots.lines or ln in self.nlu.slots.lines):
                s.slots["line"] = ln
                if s.slots.get("destination") and self.timetable is not None:
                    # "how do I get to the airport?" – "From which stop?" – "is there a bus? A1?":
                    # that line's times now, and its times at the stop when the stop is said
                    actions: list[dict] = []
                    said = self._line_departures(s.slots, s.lang, plain, actions)
                    s.asking = "stop"
                    return self._out(s, s.intent, 1.0, s.slots, said + " " + KB.ask("stop", s.lang, plain), actions)
                return self._advance(s, 1.0, plain)
        if value is None:
            # what the answer names for the task asked about ("pe lanurilor la bartolomeu", asked
            # what kind of problem), whatever the model reads the answer alone as
            more = {k: v for k, v in self.nlu.slots.extract(text, s.intent).items()
                    if k in SUMMARY_SLOTS and k not in s.slots} if s.intent in REQUIRED else {}
            more.update({k: v for k, v in u.slots.items() if k not in s.slots and k not in more})
            s.slots.update(more)
            if s.asking in s.slots:
                value = s.slots[s.asking]
        elif s.intent in REQUIRED:
            # what else the answer names for the task ("nu merge niciun bec pe Dealul Spirii",
            # asked what kind of problem): kept, so it is not asked again
            for k, v in self.nlu.slots.extract(text, s.intent).items():
                if k != s.asking and k in SUMMARY_SLOTS:
                    s.slots.setdefault(k, v)
        if value is None:
            return self._out(s, s.intent, u.confidence, s.slots, KB.ask(s.asking, s.lang, plain, again=True))
        s.slots[s.asking] = value
        if s.asking == "stop" and s.slots.get("destination") and self._place(s.slots["destination"]) is None:
            # "which bus goes to the county hospital?" – "the stop Spitalul Judetean": where they
            # board is known, where they go is not a place the data name: that stop's departures
            s.slots.pop("destination")
        s.asking = None
        return self._advance(s, 1.0, plain)

    def _slot_from_answer(self, s: Session, slot: str, text: str):
        ex = self.nlu.slots
        f = fold_text(text)
        if slot == "street":
            name, number = ex.street(text if re.search(r"\b(str|strada|bd|bulevardul|calea|aleea|street|st)\b", f)
                                     else f"strada {text}")
            if number:
                s.slots.setdefault("number", number)
            return name
        if slot in ("category", "tax_type", "permit_type"):
            intent = {"category": "report_issue", "tax_type": "pay_tax", "permit_type": "permit_apply"}[slot]
            return ex.extract(text, intent).get(slot)
        if slot == "request_id":
            return R.request_id(f)
        if slot == "permit_id":
            return R.permit_id(f)
        if slot == "stop":
            return ex.stop(text)
        return None

    def _advance(self, s: Session, conf: float, plain: bool) -> dict:
        if s.intent in ("pay_tax", "tax_info") and s.slots.get("fine"):
            intent, s.intent, s.slots = s.intent, None, {}
            return self._out(s, intent, conf, {}, KB.fine(s.lang, plain), [{"type": "fine_info"}])
        if s.intent in CONFIRM and not s.may_act:
            return self._key_required(s, conf, plain)
        for slot in REQUIRED.get(s.intent, ()):
            if slot == "stop" and s.slots.get("line") and self.timetable is not None and not s.slots.get("destination"):
                continue                              # "how often does the 6 run": the line's own times
            if slot == "stop" and s.slots.get("destination") and self._place(s.slots.get("origin")) is not None:
                continue                              # "from Tractorul to the station": planned from there
            if slot not in s.slots:
                s.asking = slot
                return self._out(s, s.intent, conf, s.slots, KB.ask(slot, s.lang, plain))
        if s.intent in CONFIRM:
            s.confirming = True
            return self._out(s, s.intent, conf, s.slots, self._confirmation(s, plain))
        return self._act(s, conf, plain)

    def _confirmation(self, s: Session, plain: bool) -> str:
        sl = s.slots
        if s.intent == "report_issue":
            where = sl["street"] + (f" {sl['number']}" if sl.get("number") else "")
            return KB.say("confirm_report", s.lang, plain, what=KB.category_name(sl["category"], s.lang), where=where)
        if s.intent == "pay_tax":
            amount = KB.tax_quote(sl["tax_type"])
            sl["amount_bani"] = amount
            ask = KB.say("confirm_pay", s.lang, plain, tax=KB.tax_name(sl["tax_type"], s.lang),
                         amount=f"{amount / 100:.2f}")
            if sl.pop("_asked", False):
                # a question about paying ("se poate plăti în rate?"): its answer first, then the offer
                return KB.tax_info(sl["tax_type"], s.lang, plain) + "\n\n" + ask
            return ask
        return KB.say("confirm_permit", s.lang, plain, permit=KB.permit_name(sl["permit_type"], s.lang))

    # ---- actions ------------------------------------------------------------------------------
    def _key_required(self, s: Session, conf: float, plain: bool) -> dict:
        intent = s.intent
        s.intent, s.slots, s.asking, s.confirming = None, {}, None, False
        return self._out(s, intent, conf, {}, KEY_REQUIRED.get(s.lang, KEY_REQUIRED["ro"]), [{"type": "key_required"}])

    def _act(self, s: Session, conf: float, plain: bool) -> dict:
        if s.intent in CONFIRM and not s.may_act:
            return self._key_required(s, conf, plain)
        intent, sl, lang = s.intent, s.slots, s.lang
        s.intent, s.asking, s.confirming = None, None, False
        actions: list[dict] = []
        try:
            text = self._do(intent, sl, lang, plain, actions, s)
        except Exception as exc:  # noqa: BLE001 - a failing service is told, not crashed on
            from services.errors import RequestError

            if isinstance(exc, RequestError) and exc.code in (400, 404):
                text = KB.say("not_found", lang, plain, what=str(exc.value))
                key = next((k for i, k in KEYED if i == intent and k in sl), None)
                if key is not None:                  # "sorry, typo: 63015": the next message may be the right number
                    s.intent, s.asking = intent, key
                    s.slots = {k: v for k, v in sl.items() if k != key}
            else:
                text = KB.say("service_down", lang, plain)
            actions.append({"type": "error", "error": str(exc)[:200], "intent": intent,
                            **{k: sl[k] for k in ("request_id", "permit_id") if k in sl}})
        for a in actions:
            self.stats["actions"][a["type"]] = self.stats["actions"].get(a["type"], 0) + 1
        if intent != "human_agent" and not any(a["type"] == "error" for a in actions):
            s.resolved += 1
        return self._out(s, intent, conf, sl, text, actions)

    def _do(self, intent, sl, lang, plain, actions, s) -> str:
        if intent in ("greeting", "goodbye", "thanks"):
            return KB.say(intent, lang, plain)
        if intent == "out_of_scope":
            return KB.say("out_of_scope", lang, plain)
        if intent == "feedback":
            actions.append({"type": "feedback", "rating": sl.get("rating")})
            return KB.say("feedback", lang, plain)
        if intent == "human_agent":
            s.handed_off = True
            summary = conversation_summary(s)
            self.operators.append(summary)
            self.stats["handoffs"] += 1
            pos = len(self.operators)
            actions.append({"type": "handoff", "queue_position": pos, "summary": summary})
            return KB.say("handoff", lang, plain, pos=pos)
        if intent == "office_info":
            return KB.office(lang, plain, self.area.city if self.area is not None else self.city)
        if intent == "documents_info":
            return KB.documents(sl.get("permit_type"), lang, plain)
        if intent == "tax_info":
            return KB.tax_info(sl.get("tax_type"), lang, plain)
        if intent == "report_issue":
            if self.hall is None or self.area is None:
                return KB.say("service_down", lang, plain)
            hit = self.area.geocode(sl["street"])
            lon, lat = (hit[0], hit[1]) if hit else (None, None)
            code = CATEGORY_SERVICE[sl["category"]]
            from services import catalogue as C

            attrs = {a.code: a.values[0][0] for a in C.SERVICES[code].attributes if a.required and a.values}
            sub = self.hall.submit(code, lat=lat, lon=lon, address=sl["street"] + (f" {sl['number']}" if sl.get("number") else ""),
                                   description=f"[chatbot] {KB.category_name(sl['category'], 'ro')}", attributes=attrs or None,
                                   citizen=sl.get("_citizen"), channel="chatbot", lang=lang, source="chatbot")
            actions.append({"type": "open311_request", "service_request_id": str(sub.id), "service_code": code,
                            "duplicate_of": sub.duplicate_of, "category": sl["category"], "street": sl["street"]})
            return KB.say("reported", lang, plain, id=sub.id)
        if intent == "request_status":
            if self.hall is None:
                return KB.say("service_down", lang, plain)
            rec = self.hall.get(sl["request_id"])
            actions.append({"type": "request_status", "service_request_id": rec["service_request_id"],
                            "status": rec["status"]})
            return KB.say("status_" + rec["status"], lang, plain, id=rec["service_request_id"],
                          service=rec["service_name"], note=rec.get("status_notes") or "")
        if intent == "pay_tax":
            if self.ledger is None:
                return KB.say("service_down", lang, plain)
            amount = sl.get("amount_bani") or KB.tax_quote(sl["tax_type"])
            # queued only: whoever runs the ledger anchors queued payments in batches (the run's
            # ledger component every anchor_every_min, `twin serve` every minute), so a chat
            # payment never costs a chain transaction of its own
            # paid now on the assistant's clock (simulated time in a run), never the machine's: a run's
            # chat payment stamped with today's wall clock showed as anchored months before it was paid
            pid = self.ledger.pay(sl.get("_citizen") or self.ledger.one_off_payer("chat"), TAX_LEDGER[sl["tax_type"]], amount,
                                  paid_at=local_now(self.clock).replace(tzinfo=TZ))
            ref = _payment_ref(self.ledger, pid)
            actions.append({"type": "tax_payment", "payment_id": pid, "receipt": ref, "anchored": False,
                            "batch_id": None, "tx_hash": None, "tax_type": sl["tax_type"], "amount_bani": amount})
            return KB.say("paid", lang, plain, amount=f"{amount / 100:.2f}", receipt=ref[:18])
        if intent == "permit_apply":
            if self.hall is None:
                return KB.say("service_down", lang, plain)
            lat = lon = None
            if self.area is not None:
                core = self.area.city.core_nodes("both")
                a = self.area.city.arrays
                lat, lon = float(a["node_lat"][core[0]]), float(a["node_lon"][core[0]])
            sub = self.hall.submit(sl["permit_type"], lat=lat, lon=lon, citizen=sl.get("_citizen"), channel="chatbot",
                                   lang=lang, source="chatbot", description="[chatbot] permit application")
            actions.append({"type": "permit_application", "service_request_id": str(sub.id),
                            "permit_type": sl["permit_type"]})
            return KB.say("permit_started", lang, plain, id=sub.id) + " " + KB.documents(sl["permit_type"], lang, plain)
        if intent == "permit_verify":
            if self.ledger is None:
                return KB.say("service_down", lang, plain)
            v = self.ledger.verify_permit(sl["permit_id"], when=local_now(self.clock).date())
            actions.append({"type": "permit_verification", **{k: v.get(k) for k in ("permit_id", "status", "issuer",
                                                                                     "valid_from", "valid_to")}})
            return KB.permit_status(v, lang, plain)
        if intent == "transport_schedule" and sl.get("destination") and self._journey_planner() is not None \
                and not (sl.get("line") and self._place(sl["destination"]) is None):
            # a line named with a destination the data do not name ("A1, from the airport to
            # town"): that line's departures, below, rather than "where is town?"
            return self._journey(sl, lang, actions)
        if intent == "transport_schedule":
            text = self._departures(sl, lang, plain, actions)
            if not sl.get("stop") and sl.get("line") and self.timetable is not None:
                # the line's own times were given; a stop named next gets that line's times there
                s.intent, s.slots, s.asking = "transport_schedule", {"line": sl["line"]}, "stop"
            return text
        return KB.say("out_of_scope", lang, plain)

    def _journey_planner(self):
        if self.planner is None and self.timetable is not None:
            from twin.transit import Planner

            self.planner = Planner(self.timetable, None)
        return self.planner

    def _place(self, phrase: str | None):
        """``(place for the planner, name to say)`` of a phrase: a stop or station of the feed, a
        district (its centre) or a street (geocoded); None if the city's data do not name it."""
        if not phrase:
            return None
        ex = self.nlu.slots
        stop = ex.stop(phrase)
        if stop is not None:
            return stop, stop
        district = ex.district(fold_text(phrase))
        if district is not None and self.area is not None:
            d = next(d for d in self.area.city.districts if d.name == district)
            return (float(d.lon), float(d.lat)), district
        if self.area is not None:
            hit = self.area.geocode(phrase)
            if hit is not None:
                return (hit[0], hit[1]), hit[2]
        return None

    def _journey(self, sl, lang, actions) -> str:
        """A planned itinerary (rides, changes, walks; Europe/Bucharest times) from the stop or
        place named to the destination (:mod:`services.chatbot.journeys`)."""
        origin = self._place(sl.get("stop")) or self._place(sl.get("origin"))
        dest = self._place(sl["destination"])
        if origin is None or dest is None:
            return KB.say("place_unknown", lang, place=sl["destination"] if dest is None else sl.get("origin") or sl.get("stop"))
        now = local_now(self.clock)
        journeys, later = self._plan(origin[0], dest[0], now), False
        if not journeys:
            # late at night the lines have stopped (the airport's A1 runs until the evening): the
            # first journey of the morning, said as such, rather than "no connection"
            morning = (now + timedelta(days=1 if now.hour >= MORNING_HOUR else 0)).replace(
                hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
            journeys, later = self._plan(origin[0], dest[0], morning), True
        rides = [g for g in J.choose(journeys)[0].legs if g.kind == "ride"] if journeys else []
        actions.append({"type": "journey", "origin": origin[1], "destination": dest[1],
                        "stop": rides[0].from_name if rides else None, "line": rides[0].route if rides else None,
                        "journeys": [j.as_dict() for j in journeys]})
        if not journeys:
            return KB.say("no_journey", lang, origin=origin[1], destination=dest[1])
        text = J.describe(journeys, origin[1], dest[1], lang)
        return KB.say("first_journey", lang) + " " + text if later else text

    def _plan(self, origin, dest, when: datetime) -> list:
        from twin.transit import TransitError

        try:
            return self.planner.plan(origin, dest, when, max_transfers=2)
        except TransitError:
            return []

    def _departures(self, sl, lang, plain, actions) -> str:
        if self.timetable is None:
            return KB.say("no_timetable", lang, plain)
        tt = self.timetable
        if not sl.get("stop"):
            return self._line_departures(sl, lang, plain, actions)
        station = tt.station_name.index(sl["stop"])
        now = local_now(self.clock)
        after = now.hour * 3600 + now.minute * 60 + now.second
        deps = tt.next_departures(station, now.date(), after, route=sl.get("line"), limit=3)
        actions.append({"type": "departures", "stop": sl["stop"], "line": sl.get("line"),
                        "departures": [{"route": d["route"], "headsign": d["headsign"],
                                        "time": _hhmm(d["departure_s"])} for d in deps]})
        if not deps:
            if sl.get("line") and not tt.next_departures(station, now.date(), 0, route=sl["line"], limit=1):
                return KB.say("line_not_here", lang, plain, stop=sl["stop"], line=sl["line"])
            line = (f"(linia {sl['line']})" if lang != "en" else f"(line {sl['line']})") if sl.get("line") else ""
            return KB.say("no_departures", lang, plain, stop=sl["stop"], line=line)
        items = "; ".join(f"{d['route']} → {d['headsign']} {_hhmm(d['departure_s'])}" for d in deps)
        return KB.say("departures", lang, plain, stop=sl["stop"], items=items)

    def _line_departures(self, sl, lang, plain, actions) -> str:
        """A line without a stop: its next departures from where it starts, and how often it runs."""
        import numpy as np

        tt, line = self.timetable, sl["line"]
        now = local_now(self.clock)
        after = now.hour * 3600 + now.minute * 60
        firsts = [int(tt.stop_station[tt.pattern_stops[p][0]]) for p in range(tt.n_patterns)
                  if tt.route_short[tt.pattern_route[p]] == line]
        deps, station = [], None
        for st in dict.fromkeys(firsts):
            deps = tt.next_departures(st, now.date(), after, route=line, limit=6)
            if deps:
                station = st
                break
        actions.append({"type": "departures", "stop": tt.station_name[station] if station is not None else None,
                        "line": line, "departures": [{"route": d["route"], "headsign": d["headsign"],
                                                      "time": _hhmm(d["departure_s"])} for d in deps]})
        if not deps:
            return KB.say("line_none_today", lang, plain, line=line)
        gaps = np.diff([d["departure_s"] for d in deps]) / 60
        every = int(round(float(np.median(gaps)))) if len(gaps) else None
        times = ", ".join(_hhmm(d["departure_s"]) for d in deps[:4])
        return KB.say("line_departures", lang, plain, line=line, stop=tt.station_name[station], times=times,
                      every=f" ({'about every' if lang == 'en' else 'cam la fiecare'} {every} min)" if every else "")

    def _out(self, s: Session, intent, conf, slots, text, actions=None) -> dict:
        if s.screen_reader:
            text = KB.for_screen_reader(text, s.lang)
        return {"intent": intent, "confidence": round(float(conf), 3),
                "slots": {k: v for k, v in slots.items() if not k.startswith("_") and k != "amount_bani"},
                "text": text, "actions": actions or [], "lang": s.lang,
                "awaiting": s.asking or ("confirmation" if s.confirming else None)}

    def release_operator(self) -> dict | None:
        """An operator takes the first citizen in the queue; returns their conversation summary."""
        return self.operators.popleft() if self.operators else None


def _payment_ref(ledger, payment_id: int) -> str:
    """The random reference of a queued payment (its receipt, once anchored, carries it too)."""
    from sqlalchemy import select

    from ledger.store import payments

    with ledger.engine.connect() as conn:
        return conn.execute(select(payments.c.ref).where(payments.c.id == payment_id)).scalar_one()


SUMMARY_SLOTS = ("category", "street", "number", "request_id", "tax_type", "permit_type", "permit_id", "line", "stop",
                 "district", "fine")


def conversation_summary(s: Session) -> dict:
    """What an operator needs to take over without asking again: the language, what the citizen
    asked for (intents, best first by recency), the details already given, the last messages,
    and one line saying it all."""
    asked = [i for _, i, _ in s.history if i not in ("human_agent", "greeting", "thanks", "goodbye", "clarify")]
    details: dict = {}
    for _, _, sl in s.history:
        details.update(sl)
    details.update({k: v for k, v in s.slots.items() if k in SUMMARY_SLOTS})
    topics = list(dict.fromkeys(reversed(asked)))
    line = (f"[{s.lang}] {len(s.history)} message(s); asked about: {', '.join(topics) or 'nothing specific'}"
            + (f"; details: {', '.join(f'{k}={v}' for k, v in details.items())}" if details else "")
            + (f"; last: \"{s.history[-2][0][:120]}\"" if len(s.history) > 1 else ""))
    return {"language": s.lang, "messages": len(s.history), "topics": topics, "details": details,
            "last_messages": [m for m, _, _ in s.history[-4:]], "text": line}


def warm_up() -> None:
    """Build the tables the understanding builds lazily (language trigrams, the emergency
    detector's known words), so that no citizen's reply pays for them."""
    from services.chatbot import emergency, nlu

    nlu._trigram_tables()
    emergency._known_words()


def local_now(clock) -> datetime:
    """``clock()`` as a naive Europe/Bucharest datetime (GTFS times are local times of day)."""
    now = clock()
    return now.astimezone(TZ).replace(tzinfo=None) if now.tzinfo is not None else now


def _lang(code: str) -> str:
    return "en" if code == "en" else "ro"


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600 % 24:02d}:{seconds % 3600 // 60:02d}"


__all__ = ["Chatbot", "Session"]
