"""The chatbot in a run: citizens who prefer it write to it, and act on what it answers.

:class:`ChatbotComponent` (component ``"chatbot"``) takes each ``chat_question`` of
:mod:`agents.demand` (a citizen whose channel is the chatbot, an intent, a language) and turns it
into a message as that citizen would write it — varied wording, with or without diacritics, a
typo now and then — about their own situation (their street, a request they filed, their tax,
the bus stop near them). The bot's reply is acted on: a question for a missing slot is
answered, a confirmation is given, a clarifying question is answered once more plainly, and a
citizen left without an answer asks for a human.

KPIs: **containment** (conversations resolved without a human), handoffs, clarifications,
**wrong actions** (an action the citizen did not want, e.g. a report filed when they asked
about buses), and intent accuracy against what the citizen meant.
"""
from __future__ import annotations

import math
import random

from pydantic import BaseModel, ConfigDict, Field

from twin.text import strip_diacritics

MESSAGES = {
    "transport_schedule": {"ro": ["când vine autobuzul în stația {stop}?", "următorul autobuz din {stop}",
                                  "la ce oră pleacă autobuzul de la {stop}"],
                           "en": ["when is the next bus from {stop}?", "bus times at {stop} please"]},
    "office_info": {"ro": ["care e programul primăriei?", "unde e primăria și când e deschis?"],
                    "en": ["what are the city hall opening hours?", "where is the city hall?"]},
    "documents_info": {"ro": ["ce acte îmi trebuie pentru certificatul de urbanism?", "ce documente trebuie pentru "
                              "autorizația de construire"],
                       "en": ["which documents do I need for a building permit?", "papers for the urbanism certificate?"]},
    "tax_info": {"ro": ["până când trebuie plătit impozitul pe clădire?", "există reducere la impozitul pe mașină?"],
                 "en": ["when is the property tax due?", "is there a discount on the car tax?"]},
    "request_status": {"ro": ["care e stadiul sesizării {rid}?", "s-a rezolvat cererea {rid}?"],
                       "en": ["what's the status of request {rid}?", "is my report {rid} solved?"]},
    "permit_verify": {"ro": ["e valabilă autorizația {pid}?", "verificați autorizația {pid}"],
                      "en": ["is permit {pid} valid?", "please verify permit {pid}"]},
    "greeting": {"ro": ["bună ziua", "salut"], "en": ["hello", "hi there"]},
    "out_of_scope": {"ro": ["ce vreme e mâine?", "cine a câștigat meciul?"],
                     "en": ["what's the weather tomorrow?", "who won the game?"]},
}
EXPECTED_ACTION = {"transport_schedule": "departures", "request_status": "request_status",
                   "permit_verify": "permit_verification"}


class ChatbotParams(BaseModel):
    """Whether citizens' chatbot questions go to the assistant, and its confidence threshold."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    threshold: float = Field(0.40, ge=0, le=1)


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
        timetable = None
        try:
            timetable = twin.component("journeys").tt
        except KeyError:
            pass
        self.pop = twin.component("population").pop
        self.bot = Chatbot(hall=hall, ledger=ledger, area=area, timetable=timetable, clock=lambda: twin.clock,
                           threshold=self.threshold)
        self._requests: dict[str, str] = {}
        twin.bus.subscribe(twin.topic("services/requests"), self._on_request)
        twin.bus.subscribe(twin.topic("citizens/chat"), self._on_question)

    def _on_request(self, event) -> None:
        if event.kind == "request_received" and event.entity.startswith("citizen:"):
            self._requests[event.entity] = event.ref.split(":")[1]

    def _message(self, intent: str, lang: str, citizen: str) -> str:
        lang = "en" if lang == "en" else "ro"
        stop = "Livada Poștei"
        tt = self.bot.timetable
        if tt is not None:
            stop = tt.station_name[self.rng.randrange(len(tt.station_name))]
        rid = self._requests.get(citizen, str(self.rng.randint(1, 500)))
        pid = f"AC-{self.twin.clock.year}-{self.rng.randint(1, 300)}"
        text = self.rng.choice(MESSAGES.get(intent, MESSAGES["greeting"])[lang]).format(stop=stop, rid=rid, pid=pid)
        if self.rng.random() < 0.5:
            text = strip_diacritics(text)
        if self.rng.random() < 0.4:
            text = text.lower()
        if self.rng.random() < 0.15 and len(text) > 8:
            i = self.rng.randrange(1, len(text) - 2)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
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
        r = self.bot.reply(sid, text, prof)
        first = r["intent"]
        turns, handoff = 1, False
        if r["intent"] == "clarify":
            self.clarified += 1
            r = self.bot.reply(sid, self._message(intent, lang, event.entity), prof)
            turns += 1
        while r.get("awaiting") and turns < 4:         # answer what the bot asks
            if r["awaiting"] == "confirmation":
                r = self.bot.reply(sid, "da" if lang != "en" else "yes", prof)
            elif r["awaiting"] == "stop" and self.bot.timetable is not None:
                r = self.bot.reply(sid, self.bot.timetable.station_name[0], prof)
            else:
                break
            turns += 1
        wanted = EXPECTED_ACTION.get(intent)
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
                       understood=first, turns=turns, handoff=handoff, wrong_action=wrong, lang=lang,
                       reply=r["text"][:200])

    def kpis(self) -> dict:
        n = max(self.conversations, 1)
        return {"conversations": self.conversations, "containment_rate": round(self.contained / n, 3),
                "handoffs": self.handoffs, "clarifications": self.clarified, "wrong_actions": self.wrong_actions,
                "intent_accuracy": round(self.correct_intent / n, 3), "by_intent": self.by_intent}
