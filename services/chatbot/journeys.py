"""Getting from A to B by bus: "cum ajung de la Gară la Piața Sfatului?", "from the station to Tractorul".

The assistant answers a question about a journey with a **planned itinerary** from the journey
planner (:class:`twin.transit.Planner`, RAPTOR on the GTFS timetable: rides, transfers and walks,
times in Europe/Bucharest), not with the next departures of one stop. This module reads the two
places out of the message and says the journey back:

* :func:`route_parts` — the origin and destination phrases ("de la X la Y", "din X spre Y",
  "from X to Y", "to Y from X", "cum ajung la Y"), by rules: the frames are few and fixed, and a
  rule says plainly which words it took.
* :func:`describe` — in the citizen's language, the journey with the fewest changes that arrives
  within 5 minutes of the fastest (:func:`choose`), and the fastest when it saves 3 minutes more.

A place is resolved by the caller (:class:`services.chatbot.bot.Chatbot`): a stop or station of
the feed, a district of the city (its centre), or a street (geocoded). A place the city's data do
not name is said to be unknown — the assistant never guesses where a neighbourhood is.
"""
from __future__ import annotations

import re

__all__ = ["route_parts", "choose", "describe"]

_END = r"(?=$|[?.!,;]| (?:cu|by|pe|on|with|and|si|azi|today|maine|tomorrow|acum|now|diseara|tonight|dimineata|"\
       r"in the morning|la ora|at \d|dupa|after|fara|without|trebuie|do i|pls|please|va rog|repede|fastest|quickest)\b)"
_PLACE = r"([a-z0-9][a-z0-9 .'-]{1,40}?)"
# (origin group, destination group) for each frame, on the folded text
_FRAMES = [
    (re.compile(r"\b(?:de la|din|dinspre) " + _PLACE + r" (?:la|in|spre|pana la|pana in|catre) " + _PLACE + _END), 1, 2),
    (re.compile(r"\bfrom " + _PLACE + r" (?:to|towards|into) " + _PLACE + _END), 1, 2),
    (re.compile(r"\b(?:la|in|spre|pana la|catre) " + _PLACE + r" (?:de la|din|dinspre) " + _PLACE + _END), 2, 1),
    (re.compile(r"\bto " + _PLACE + r" from " + _PLACE + _END), 2, 1),
    (re.compile(r"\b(?:ajung|ajungem|merg|mergem|get|go|travel|way)\w* (?:la|in|pana la|spre|to|into) " + _PLACE + _END), None, 1),
    (re.compile(r"\b(?:bus|buses|autobuz\w*|linie|line|ceva|anything) (?:to|spre|catre|pana la|pana in|la) " + _PLACE + _END), None, 1),
]
# a "how do I get there" question (not "when does the 4 leave")
JOURNEY_CUE = re.compile(r"\b(?:cum ajung\w*|cum merg\w*|cum pot ajunge|ce (?:autobuz|linie|linii|autobuze) (?:iau|sa iau|merg\w*|ma duce)|"
                         r"cu ce (?:ajung|merg)|trebuie sa schimb|fara (?:sa )?schimb\w*|how (?:do|can) (?:i|we) get|"
                         r"how to get|which (?:bus|line|buses|lines)|what bus|fastest way|quickest way|best way|"
                         r"do i (?:need|have) to change|get (?:from|to)|from .{2,40} to |de la .{2,40} la |din .{2,40} (?:in|spre) |"
                         r"(?:vreau|trebuie|as vrea) sa ajung|(?:want|need|have) to (?:get|go) to|(?:next |a |any )?bus(?:es)? to\b|"
                         r"autobuz\w* (?:spre|catre|pana la)|merge ceva (?:spre|la|pana la))")
_ARTICLE = re.compile(r"^(?:the|statia|statie|stop|the stop|strada|str\.?)\s+")


def route_parts(f: str) -> tuple[str | None, str] | None:
    """``(origin, destination)`` phrases of a journey question in the folded text ``f``
    (``origin`` None when only the destination is said), or None."""
    if not JOURNEY_CUE.search(f):
        return None
    for rx, o, d in _FRAMES:
        m = rx.search(f)
        if m:
            origin = m.group(o).strip() if o else None
            dest = m.group(d).strip()
            return (_ARTICLE.sub("", origin) if origin else None), _ARTICLE.sub("", dest)
    return None


_T = {
    "ro": {"walk": "pe jos {a} → {b} ({m} min)", "ride": "{t} autobuzul {r} (spre {h}) din {a} până la {b}",
           "head": "De la {o} la {d}: plecați la {dep}, ajungeți la {arr} ({n}).", "alt": "Mai repede, cu mai multe schimbări: {x}.",
           "n0": "fără schimbare", "n1": "o schimbare", "nn": "{k} schimbări", "start": "punctul de plecare",
           "end": "destinație"},
    "en": {"walk": "walk {a} → {b} ({m} min)", "ride": "{t} bus {r} (to {h}) from {a} to {b}",
           "head": "From {o} to {d}: leave at {dep}, arrive at {arr} ({n}).", "alt": "Faster, with more changes: {x}.",
           "n0": "no change", "n1": "one change", "nn": "{k} changes", "start": "start", "end": "destination"},
}


def _changes(k: int, t: dict) -> str:
    return t["n0"] if k == 0 else t["n1"] if k == 1 else t["nn"].format(k=k)


def _legs(j, t: dict) -> str:
    out = []
    for g in j.legs:
        if g.kind == "walk":
            out.append(t["walk"].format(a=g.from_name or t["start"], b=g.to_name or t["end"], m=max(1, round(g.minutes))))
        else:
            out.append(t["ride"].format(t=f"{g.departure:%H:%M}", r=g.route, h=g.headsign, a=g.from_name, b=g.to_name))
    return "; ".join(out)


def choose(journeys: list):
    """``(advised, faster)``: the journey with the fewest rides that arrives within 5 minutes of the
    fastest, and the fastest when it is another one that saves 3 minutes or more (else None).
    The planner's Pareto set comes fewest rides first, each later one arriving strictly earlier."""
    fastest = journeys[-1]
    advised = next(j for j in journeys if (j.arrival - fastest.arrival).total_seconds() <= 300)
    saves = (advised.arrival - fastest.arrival).total_seconds() >= 180
    return advised, (fastest if saves else None)


def describe(journeys: list, origin: str, destination: str, lang: str) -> str:
    """The advised journey (:func:`choose`), its legs, and the faster one with more changes when
    it saves a few minutes."""
    t = _T["en" if lang == "en" else "ro"]
    best, faster = choose(journeys)
    text = t["head"].format(o=origin, d=destination, dep=f"{best.departure:%H:%M}", arr=f"{best.arrival:%H:%M}",
                            n=_changes(best.transfers, t)) + " " + _legs(best, t) + "."
    if faster is not None:
        text += " " + t["alt"].format(x=f"{faster.departure:%H:%M}–{faster.arrival:%H:%M}, {_changes(faster.transfers, t)}: "
                                      + _legs(faster, t))
    return text
