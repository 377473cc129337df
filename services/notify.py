"""Notifications to citizens, on the channel and in the language their profile prefers.

:class:`Notifier` turns "your request was received / is being worked on / is solved" into a
``notification`` event on ``services/notify``: the pseudonymous citizen, the channel (``push``,
``email``, ``sms``, ``letter``), the language (Romanian, Hungarian or English), the text, and how
it is shaped for the citizen's accessibility needs (``plain_language`` gets the short form,
``large_text`` and ``screen_reader`` are passed on as formatting flags). A letter arrives two
working days later (``delivered_at``); the other channels at once. No message is actually
sent: the event is what a gateway (SMS, e-mail, push) would take.
"""
from __future__ import annotations

import math

TEMPLATES = {
    "received": {
        "ro": "Sesizarea nr. {id} ({service}) a fost înregistrată. Termen: {due}.",
        "hu": "A(z) {id}. számú bejelentését ({service}) rögzítettük. Határidő: {due}.",
        "en": "Your report no. {id} ({service}) has been received. Expected by {due}.",
    },
    "duplicate": {
        "ro": "Problema a fost deja semnalată (sesizarea nr. {dup}). Vă anunțăm când se rezolvă.",
        "hu": "Ezt a problémát már bejelentették ({dup}. szám). Értesítjük, ha megoldódik.",
        "en": "This problem was already reported (no. {dup}). We will tell you when it is solved.",
    },
    "in_progress": {
        "ro": "Echipa lucrează la sesizarea nr. {id}.",
        "hu": "A csapat dolgozik a(z) {id}. számú bejelentésen.",
        "en": "A crew is working on your report no. {id}.",
    },
    "closed": {
        "ro": "Sesizarea nr. {id} a fost rezolvată. Vă rugăm să ne dați o notă de la 1 la 5.",
        "hu": "A(z) {id}. számú bejelentés megoldódott. Kérjük, értékelje 1-től 5-ig.",
        "en": "Your report no. {id} has been solved. Please rate it from 1 to 5.",
    },
    "rejected": {
        "ro": "Sesizarea nr. {id} a fost închisă: {note}.",
        "hu": "A(z) {id}. számú bejelentés lezárult: {note}.",
        "en": "Your report no. {id} was closed: {note}.",
    },
}
PLAIN = {"received": "received", "duplicate": "already known", "in_progress": "being fixed",
         "closed": "fixed", "rejected": "closed"}
LETTER_DELAY_S = 2 * 86400.0


class Notifier:
    """Publishes ``notification`` events through a twin (see the module docstring)."""

    def __init__(self, twin):
        self.twin = twin
        self.sent: dict[str, int] = {}

    def send(self, citizen: str, template: str, *, notify: str | None, lang: str | None, access=(),
             lon: float = math.nan, lat: float = math.nan, ref: str = "", **fields) -> None:
        if not citizen.startswith("citizen:"):
            return                                   # a device or an anonymous report: no one to tell
        lang = lang if lang in ("ro", "hu", "en") else "ro"
        channel = notify or "email"
        text = TEMPLATES[template][lang].format(**fields)
        access = list(access or ())
        if "plain_language" in access:
            text = f"{fields.get('id', '')}: {PLAIN[template]}" if lang == "en" else text.split(".")[0] + "."
        delay = LETTER_DELAY_S if channel == "letter" else 0.0
        self.sent[channel] = self.sent.get(channel, 0) + 1
        self.twin.emit("services/notify", "notification", citizen, ref, lon, lat, channel=channel, lang=lang,
                       template=template, text=text, large_text="large_text" in access,
                       screen_reader="screen_reader" in access,
                       delivered_at=round(self.twin.now + delay, 1))
