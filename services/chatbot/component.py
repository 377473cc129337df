"""The chatbot in a run: citizens who prefer it write to it, and act on what it answers.

:class:`ChatbotComponent` (component ``"chatbot"``) takes each ``chat_question`` of
:mod:`agents.demand` (a citizen whose channel is the chatbot, an intent, a language) and turns it
into a message as that citizen would write it, about their own situation (a street of their
city, a request they filed, a tax, a bus stop and line of the city's feed).

The words come from the **citizens' phrase bank** (``agents/data/chat_phrasebank.jsonl``, or the
file ``chatbot.phrasebank`` names): lines ``{"lang", "intent", "text"}`` with placeholders
``{street}``, ``{number}``, ``{request_id}``, ``{line}``, ``{stop}``, ``{tax}``. It is written
apart from the assistant's training set (:mod:`services.chatbot.training`), so the run's intent
accuracy and containment measure understanding, not recall of the templates (a run whose
citizens spoke the training templates reported 0.999). A missing or malformed bank stops the
run with a message naming the file, line and field; an intent the bank has no line for in the
citizen's language is asked in the bank's other language, else not at all
(``phrasebank_misses``). The bot's reply is acted on: a question for a missing slot is
answered, a confirmation is given when the citizen wanted that action (a filing, a payment) and
refused otherwise ("nu, doar întrebam": a question misread as a wish to pay costs a turn, not a
payment; ``declined_confirmations``), a clarifying question is answered once more plainly, and a
citizen left without an answer asks for a human.

KPIs: **containment** (conversations resolved without a human), handoffs, clarifications,
**wrong actions** (an action the citizen did not want, e.g. a report filed when they asked
about buses), and intent accuracy against what the citizen meant.
"""
from __future__ import annotations

import math
import random
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from twin.text import strip_diacritics

EXPECTED_ACTION = {"transport_schedule": "departures", "request_status": "request_status",
                   "permit_verify": "permit_verification"}
# the intents whose citizen wants the confirmed action done (a filing, a payment, an application)
ACTS = {"report_issue": "open311_request", "pay_tax": "tax_payment", "permit_apply": "permit_application"}



_HEX = re.compile(r"0x[0-9a-fA-F]{6,}…?")


def published_reply(text: str) -> str:
    """The reply as the event log publishes it: at most 200 characters, every hexadecimal
    reference (a payment's receipt, a transaction) cut to ``0x…``. The event carries the
    citizen's pseudonym, and a receipt's prefix in it would tie the pseudonym to the payment
    (and through it to the chain's payer hash), which no published event may do."""
    return _HEX.sub("0x…", text)[:200]

class ChatbotParams(BaseModel):
    """Whether citizens' chatbot questions go to the assistant, its confidence threshold, and the
    phrase bank the citizens speak from (None: ``agents/data/chat_phrasebank.jsonl``)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    threshold: float = Field(0.40, ge=0, le=1)
    phrasebank: str | None = None


PLACEHOLDERS = ("street", "number", "request_id", "line", "stop", "tax")


class PhrasebankError(ValueError):
    """A phrase bank that cannot be used; the message names the file, the line and the field."""


def default_phrasebank() -> Path:
    import agents

    return Path(agents.__file__).parent / "data" / "chat_phrasebank.jsonl"


def load_phrasebank(path: str | Path | None = None) -> dict[tuple[str, str], list[str]]:
    """``{(intent, lang): [text, ...]}`` from a phrase bank file (see the module docstring)."""
    import string

    from services.chatbot.evaluate import jsonl_lines
    from services.chatbot.training import INTENTS

    p = Path(path) if path else default_phrasebank()
    if not p.is_file():
        raise PhrasebankError(f"chatbot: the citizens' phrase bank {p} is missing (set chatbot.phrasebank to a "
                              f"JSONL file of {{lang, intent, text}}, or chatbot.enabled: false)")
    bank: dict[tuple[str, str], list[str]] = {}
    for n, row in jsonl_lines(p, PhrasebankError):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
            raise PhrasebankError(f"{p}:{n}: 'text' must be a non-empty string")
        if row.get("lang") not in ("ro", "en"):
            raise PhrasebankError(f"{p}:{n}: lang {row.get('lang')!r} must be 'ro' or 'en'")
        if row.get("intent") not in INTENTS:
            raise PhrasebankError(f"{p}:{n}: intent {row.get('intent')!r} is not one of {list(INTENTS)}")
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(row["text"]) if f is not None}
        except ValueError as exc:
            raise PhrasebankError(f"{p}:{n}: text has a broken placeholder ({exc})") from None
        unknown = names - set(PLACEHOLDERS)
        if unknown:
            raise PhrasebankError(f"{p}:{n}: placeholder {{{sorted(unknown)[0]}}} is not one of {list(PLACEHOLDERS)}")
        bank.setdefault((row["intent"], row["lang"]), []).append(row["text"])
    if not bank:
        raise PhrasebankError(f"{p}: no phrases")
    return bank


class ChatbotComponent:
    """See the module docstring."""

    name = "chatbot"

    def __init__(self, params: "ChatbotParams | None" = None):
        self.p = params or ChatbotParams()
        self.threshold = self.p.threshold
        self.conversations = 0
        self.contained = 0
        self.handoffs = 0
        self.clarified = 0
        self.wrong_actions = 0
        self.correct_intent = 0
        self.by_intent: dict[str, int] = {}

    def attach(self, twin) -> None:
        from services.chatbot.bot import Chatbot

        self.twin = twin
        self.rng = random.Random(twin.rng.seed_for("chatbot"))
        hall = area = None
        try:
            svc = twin.component("services")
            hall, area = svc.hall, svc.area
        except KeyError:
            pass
        ledger = None
        try:
            ledger = twin.component("ledger").ledger
        except KeyError:
            pass
        timetable = planner = None
        try:
            journeys = twin.component("journeys")
            timetable, planner = journeys.tt, journeys.planner   # the run's planner, on the walk graph
        except KeyError:
            pass
        self.bank = load_phrasebank(self.p.phrasebank)
        self.misses = 0
        self.declined = 0          # confirmations a citizen who only asked said no to
        self.pop = twin.component("population").pop
        self.bot = Chatbot(hall=hall, ledger=ledger, area=area, timetable=timetable, clock=lambda: twin.clock,
                           threshold=self.threshold, planner=planner)
        self._requests: dict[str, str] = {}
        twin.bus.subscribe(twin.topic("services/requests"), self._on_request)
        twin.bus.subscribe(twin.topic("citizens/chat"), self._on_question)

    def _on_request(self, event) -> None:
        if event.kind == "request_received" and event.entity.startswith("citizen:"):
            self._requests[event.entity] = event.ref.split(":")[1]

    def _message(self, intent: str, lang: str, citizen: str) -> str | None:
        """What this citizen writes: a phrase of the bank, its placeholders filled from the city."""
        from services.chatbot import knowledge as KB

        lang = "en" if lang == "en" else "ro"
        phrases = self.bank.get((intent, lang)) or self.bank.get((intent, "ro" if lang == "en" else "en"))
        if not phrases:
            return None
        rng = self.rng
        tt = self.bot.timetable
        streets = self.bot.area.city.street_names if self.bot.area is not None else ()
        values = {"street": rng.choice(streets) if len(streets) else "Strada Principală",
                  "number": str(rng.randint(1, 80)),
                  "request_id": self._requests.get(citizen, str(rng.randint(1, 500))),
                  "line": rng.choice(tt.route_short) if tt is not None and len(tt.route_short) else "4",
                  "stop": tt.station_name[rng.randrange(len(tt.station_name))] if tt is not None else "Centru",
                  "tax": KB.tax_name(rng.choice(("property", "land", "vehicle")), lang).lower()}
        text = rng.choice(phrases).format(**values)
        if rng.random() < 0.3:
            text = strip_diacritics(text)
        return text

    def _on_question(self, event) -> None:
        if event.kind != "chat_question":
            return
        intent = event.payload["intent"]
        lang = event.payload.get("lang", "ro")
        i = int(event.entity.split(":")[1])
        prof = self.pop.profile(i)
        sid = f"{event.entity}@{int(self.twin.now)}"
        self.conversations += 1
        self.by_intent[intent] = self.by_intent.get(intent, 0) + 1
        text = self._message(intent, lang, event.entity)
        if text is None:                                # the bank has no words for this intent
            self.misses += 1
            self.conversations -= 1
            self.by_intent[intent] -= 1
            return
        r = self.bot.reply(sid, text, prof)
        first = r["intent"]
        turns, handoff = 1, False
        if r["intent"] == "clarify":
            self.clarified += 1
            r = self.bot.reply(sid, self._message(intent, lang, event.entity) or text, prof)
            turns += 1
        while r.get("awaiting") and turns < 4:         # answer what the bot asks
            if r["awaiting"] == "confirmation" and intent not in ACTS:
                # a citizen who only asked ("se poate plăti impozitul în rate?") and is offered a
                # payment or a filing says no, as a person would: a misread question costs a
                # turn, not a payment (an always-yes citizen turned misreadings into real payments)
                r = self.bot.reply(sid, "nu, doar întrebam" if lang != "en" else "no, I was only asking", prof)
                self.declined += 1
            elif r["awaiting"] == "confirmation":
                r = self.bot.reply(sid, "da" if lang != "en" else "yes", prof)
            elif r["awaiting"] == "stop" and self.bot.timetable is not None:
                r = self.bot.reply(sid, self.bot.timetable.station_name[0], prof)
            else:
                break
            turns += 1
        wanted = EXPECTED_ACTION.get(intent) or ACTS.get(intent)
        acted = {a["type"] for a in r["actions"]}
        wrong = bool(acted - {wanted, "error", "clarify", "emergency_guidance"}) if acted else False
        if r["intent"] in ("clarify", "none") or r.get("awaiting"):
            r = self.bot.reply(sid, "vreau un operator" if lang != "en" else "I want a human operator", prof)
            handoff = True
            self.bot.release_operator()
        if wrong:
            self.wrong_actions += 1
        if handoff:
            self.handoffs += 1
        else:
            self.contained += 1
        if first == intent or r["intent"] == intent:
            self.correct_intent += 1
        self.twin.emit("services/chatbot", "chat_conversation", event.entity, "", math.nan, math.nan, intent=intent,
                       understood=first, turns=turns, handoff=handoff, wrong_action=wrong, lang=lang, said=text[:200],
                       reply=published_reply(r["text"]))

    def kpis(self) -> dict:
        n = max(self.conversations, 1)
        return {"conversations": self.conversations, "containment_rate": round(self.contained / n, 3),
                "handoffs": self.handoffs, "clarifications": self.clarified, "wrong_actions": self.wrong_actions,
                "intent_accuracy": round(self.correct_intent / n, 3), "by_intent": self.by_intent,
                "phrasebank_misses": self.misses, "declined_confirmations": self.declined}
