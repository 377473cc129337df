"""Exact things citizens quote: request references, permit ids, bus lines, blocks and flats.

Rules, because these are exact and a model would only blur them. Each function reads the
folded message (:func:`twin.text.fold_text`) and returns the value in its canonical form:

=====================  =================================================  ==================
slot                   as written                                         canonical
=====================  =================================================  ==================
``request_id``         "#50377", "nr. 50377", "sesizarea 50377"            ``"50377"``
                       "sr-2026-004512", "SR 2026 004512"                  ``"SR-2026-004512"``
                       "12345/2026", "REQ-7781", "77-654", "98.112"        as written (upper case)
``permit_id``          "PR-08812", "pr 08812"                              ``"PR-08812"``
                       "CU 2210/2025", "cu nr. 2210/2025"                  ``"CU 2210/2025"``
                       "ac-2026-114"                                       ``"AC-2026-114"``
                       "nr. 512 din 2024", "4471-rp", "bv-ac-5567"         ``"512 din 2024"``, ...
``line``               "5M", "6-ul", "6ul", "linia 17", "the number 2"     ``"5M"``, ``"6"``, ...
``block`` …            "bl. 12, sc. A, ap. 4"                              ``{"block": "12", ...}``
=====================  =================================================  ==================

A year ("2026"), a house number after "nr" in an address, or a block number is never taken for
a request reference.
"""
from __future__ import annotations

import re

__all__ = ["request_id", "permit_id", "line", "dwelling", "request_cue", "REQUEST_WORDS"]

_SR = re.compile(r"\b([a-z]{2,3})[\s-]?(20\d\d)[\s-](\d{3,8})\b")
_PERMIT_DASH = re.compile(r"\b(pr|ac|cu|ad|rp|ap)[\s-]?(\d{3,6})\b(?![/-]\d)")
_PERMIT_SLASH = re.compile(r"\b(cu|ac|ad|pr|ap|rp)(\.?\s*|-)(?:nr\.?\s*)?(\d{1,6})\s*/\s*((?:19|20)\d\d|\d{1,2}\.\d{1,2}\.(?:19|20)\d\d)\b")
_PERMIT_NUMBER = re.compile(r"\b(?:permit|autoriza\w*|certificat\w*)\s*(?:de (?:construire|constructie|urbanism)\s*)?(?:nr\.?\s*|no\.?\s*|number\s*)?"
                            r"(\d{1,6})\s*/\s*((?:19|20)\d\d|\d{1,2}\.\d{1,2}\.(?:19|20)\d\d)\b")     # (issue 15) or a date: "1187/12.03.2025"
_PERMIT_YEAR = re.compile(r"\b([a-z]{2,4})-((?:19|20)\d\d)-(\d{1,6})\b")
# (third round) the other ways a permit is quoted: "nr. 512 din 2024", "4471-RP", "BV-AC-5567",
# a bare "1198/2025" in a question about a permit, "autorizația de construcție 3021"
_PERMIT_DIN = re.compile(r"\b(?:autoriza\w*|certificat\w*|permis\w*|permit\w*|cu|ac)\s*(?:de (?:construire|constructie|urbanism)\s*)?"
                         r"(?:nr\.?\s*|numarul\s*)?(\d{1,6}) din ((?:19|20)\d\d)\b")
_PERMIT_SUFFIX = re.compile(r"\b(\d{3,6})-(rp|pr|ac|cu)\b")
_PERMIT_COUNTY = re.compile(r"\b([a-z]{2})-(ac|cu|pr|rp)-(\d{2,6})\b")
_PERMIT_BARE_SLASH = re.compile(r"(?<![\w/.-])(\d{1,6})\s*/\s*((?:19|20)\d\d)\b")
_PERMIT_CUE_NUMBER = re.compile(r"\b(?:autoriza\w*|certificat\w*|permis\w*|permit)\s*(?:de (?:construire|constructie|urbanism)\s*)?"
                                r"(?:\w+ ){0,4}?(?:nr\.?\s*|no\.?\s*|number\s*)(\d{2,6})\b(?![/.-]\d)|"
                                r"\b(?:autoriza\w*|certificat\w*) de (?:construire|constructie|urbanism)\s+(\d{2,6})\b(?![/.-]\d)")
# The words that name a citizen's request ("sesizarea", "reference", "case number", "nr. de
# înregistrare", ...): one lexicon for the two rules that read them, whose jobs differ —
# :data:`_REQ_CUE` takes the number after them as the request's reference (slot ``request_id``),
# ``services.chatbot.nlu.REF_CUE`` (built by :func:`request_cue`) says a message quoting a reference
# with its word asks about that request (intent ``request_status``).
REQUEST_WORDS = (r"ref(?:erence|erinta)?", r"case(?: number| no)?", r"ticket", r"complaint", r"request", r"report",
                 r"registration (?:number|no)", r"(?:nr|numar(?:ul)?|numarul) (?:de )?inregistrare", r"inregistrare",
                 r"petiti\w*", r"cerere(?:a|ii)?", r"sesizare(?:a|ii)?", r"reclamati(?:a|ei)", r"dosar(?:ul)?")
_REQUEST_WORD = r"\b(?:" + "|".join(REQUEST_WORDS) + r")"
# what may stand between the word and the number: "mea cu", "nr.", "no.", "numărul", "este"
_REQUEST_GAP = r"\.?\s*(?:(?:mea|my|cu|with)\s*){0,2}(?:(?:nr|no)\.?\s*|(?:number|numarul)\s+)?(?:(?:este|e|is|was)\s+)?"


def request_cue(digits: str = r"\d{3,9}") -> str:
    """The pattern of a number quoted with its request's word (:data:`REQUEST_WORDS`: "sesizarea
    nr. 50377", "case number 41006") or with ``#``; ``digits`` is the number's pattern (not captured)."""
    return r"(?:#\s*|" + _REQUEST_WORD + _REQUEST_GAP + r")" + digits + r"\b"


# the number after a request's word or "#" (captured), or after a bare number cue ("nr.", "number", "id")
_REQ_CUE = re.compile(r"(?:#\s*|" + _REQUEST_WORD + _REQUEST_GAP + r"|\bnumar(?:ul)? (?:era|este|e|is|was)\s*|"
                      r"\bnr\.?\s*|\bnumar(?:ul)?\s*|\bnumber\s*|\bno\.?\s*|\bid\s*)(\d{1,9})\b(?!\s*/|[.,-]\d)")
# a reference written with its own shape: "12345/2026", "2026/55412", "98.112", "77-654",
# "REQ-7781", "NC-2291", "2025-BV-0912" — kept as written (upper-cased)
_REQ_SHAPED = re.compile(r"(?<![\w/.#-])((?:\d{3,9}/(?:19|20)\d\d|(?:19|20)\d\d/\d{3,9}))\b|"
                         r"(?:#\s*|\bnr\.?\s*|\bnumber\s*|\bno\.?\s*|\bid\s*|\brequest\s*|\bsesizare(?:a)?\s*|\bcerere(?:a)?\s*|\bticket\s*|"
                         r"\bcomplaint\s*|\breport\s*)(\d{2,3}\.\d{3}|\d{2,5}-\d{2,6})\b|"
                         r"(?<![\w-])((?:19|20)\d\d-[a-z]{2,3}-\d{2,6}|(?!(?:pr|ac|cu|ad|rp|ap|sr)-)[a-z]{1,4}-\d{3,8})\b(?!-)")
# letters run into the digits ("REQ4410", "SR20311") and a number with a two-digit year ("512/06")
_REQ_ALNUM = re.compile(r"\b((?:req|ref|rq|sr|ses|cer|inr|nr)\d{3,8})\b|(?<![\w/.#-])(\d{3,6}/\d{2})\b(?![/.]\d)")
_DIGITS = re.compile(r"(?<![\w/.-])(\d{1,9})\b(?![/.:]\d)")
_LINE_CUE = re.compile(r"(?:\blinia|\bliniei|\blinie|\bline|\bautobuz(?:ul|ului)?|\bbus|\bmaxi-?taxi|\btroleibuz(?:ul)?|\btrolleybus|"
                       r"\bnumber|\bnr\.?|\bnumarul|\bthe)\s*(\d{1,3}[a-z]?)\b")
_LINE_UL = re.compile(r"\b(\d{1,3}[a-z]?)-?(?:ul|ului|le)\b")
# (five-set round) a line said as residents say it: the vehicle's word in any form before it
# ("troleibuzu 1", "the little minibus 50"), the number before the vehicle or its direction ("a 24
# bus", "810 spre Predeal"), or a question that starts with it ("22 vine ...", "41 oprește la ...");
# only lines the feed knows (see :func:`line`)
_LINE_MORE = re.compile(r"\b(?:autobuz\w*|troleibuz\w*|trolleybus\w*|minibus\w*|microbuz\w*|maxi-?taxi\w*|buses)\s+(?:nr\.?\s*)?(\d{1,3}[a-z]?)\b"
                        r"|\b(\d{1,3}[a-z]?)\s+(?:spre|catre|towards|bus|buses|autobuz\w*|troleibuz\w*|trolleybus)\b"
                        # (issue 15) where it leaves from or when ("54 din Triaj", "20 from Livada", "210 la ce
                        # oră"), taken with ("cu 18 până la IAR"), "a lui 29": not a time ("la 14 de la liceu")
                        r"|(?<!\bla )(?<!\bat )(?<!\bpe )\b(\d{1,3}[a-z]?)\s+(?:din|from|de la|la ce|at what)\b"
                        r"|\b(?:cu|a lui|with the|last|first)\s+(\d{1,3}[a-z]?)\b(?!\s*(?:min|minute|de minute|ore|h\b|am\b|pm\b|:|lei|ron|ani|zile|"
                        r"copii|persoane|oameni|people|kids|children|bagaj\w*|bags|bilete|tickets|euro|statii|stops|\.\d|,\d))"
                        r"|^\W*(?:si |and |iar |dar |but )?(\d{1,3}[a-z]?)\b(?!\s*(?:min|minute|de minute|ore|h\b|am\b|pm\b|:|lei|ron|ani|zile|grade|%|la suta|statii|stops|stations|persoane|people|bilete|tickets|euro|\.|,\d))")
_LINE_VERB = re.compile(r"\b(?:trece|vine|pleaca|prind|ia|iau|circula|merge|urmatorul|primul|ultimul|comes?|leaves?|"
                        r"does|is|next|the|take)\s+"
                        r"(\d{1,3}[a-z]?)\b(?!\s*(?:min|minute|ore|h\b|am\b|pm\b|:))")
_BLOCK = {"block": re.compile(r"\bbl(?:oc|ocul|ock)?\.?\s*([a-z]?\d{1,3}[a-z]?)\b"),
          "entrance": re.compile(r"\bsc(?:ara|\.)?\s*([a-h1-9])\b"),
          "apartment": re.compile(r"\bap(?:artament(?:ul)?|t)?\.?\s*(\d{1,4})\b")}


def _years(f: str) -> set[str]:
    return set(re.findall(r"\b(?:19|20)\d\d\b", f))


def dwelling(f: str) -> dict:
    """``{"block", "entrance", "apartment"}`` found in the folded text (those present)."""
    out = {}
    for k, rx in _BLOCK.items():
        m = rx.search(f)
        if m:
            out[k] = m.group(1).upper()
    return out


def request_id(f: str) -> str | None:
    """The request reference in the folded text ``f``: a whole "SR-2026-004512" or the digits."""
    m = _SR.search(f)
    if m and m.group(1) not in ("cu", "ac", "pr", "ad"):
        return f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}"
    m = _REQ_SHAPED.search(f)
    if m:
        return next(g for g in m.groups() if g).upper()
    m = _REQ_ALNUM.search(f)                     # "REQ4410", "512/06" (tenth round)
    if m:
        return next(g for g in m.groups() if g).upper()
    blocks = {v.lower() for v in dwelling(f).values()}
    m = _REQ_CUE.search(f)
    if m and m.group(1) not in _years(f):
        return m.group(1)
    for m in _DIGITS.finditer(f):
        v = m.group(1)
        if v in _years(f) and len(v) == 4 or v in blocks:
            continue
        return v
    return None


def permit_id(f: str) -> str | None:
    """The permit id in the folded text ``f``, upper-cased ("CU 2210/2025", "PR-08812", "AC-2026-114",
    "512 din 2024", "4471-RP", "BV-AC-5567")."""
    m = _PERMIT_COUNTY.search(f)
    if m:
        return "-".join(m.groups()).upper()
    m = _PERMIT_SLASH.search(f)
    if m:
        sep = "-" if "-" in m.group(2) else " "
        return f"{m.group(1).upper()}{sep}{m.group(3)}/{m.group(4)}"
    m = _PERMIT_NUMBER.search(f)                 # "permit 0921/2025": the number as the sign shows it
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    m = _PERMIT_DIN.search(f)
    if m:
        return f"{m.group(1)} din {m.group(2)}"
    m = _PERMIT_YEAR.search(f)
    if m:
        return f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}"
    m = _PERMIT_SUFFIX.search(f)
    if m:
        return f"{m.group(1)}-{m.group(2).upper()}"
    m = _PERMIT_DASH.search(f)
    if m:
        return f"{m.group(1).upper()}-{m.group(2)}"
    m = _PERMIT_BARE_SLASH.search(f)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    m = _PERMIT_CUE_NUMBER.search(f)
    if m:
        v = m.group(1) or m.group(2)
        if v not in _years(f):
            return v
    return None


# (issue 15) numbers said in words, as voice typing writes them ("douăzeci și unu", "fifty-two"):
# the tens and the units of Romanian and English, folded
_UNITS = {"unu": 1, "una": 1, "doi": 2, "doua": 2, "trei": 3, "patru": 4, "cinci": 5, "sase": 6, "sapte": 7, "opt": 8,
          "noua": 9, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"zece": 10, "unsprezece": 11, "doisprezece": 12, "treisprezece": 13, "paisprezece": 14, "cincisprezece": 15,
          "saisprezece": 16, "saptesprezece": 17, "optsprezece": 18, "nouasprezece": 19, "ten": 10, "eleven": 11,
          "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
          "nineteen": 19}
_TENS = {"douazeci": 20, "treizeci": 30, "patruzeci": 40, "cincizeci": 50, "saizeci": 60, "saptezeci": 70,
         "optzeci": 80, "nouazeci": 90, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
_SPOKEN = re.compile(r"\b(" + "|".join(_TENS) + r")(?:(?:\s+si\s+|\s*-\s*|\s+)(" + "|".join(_UNITS) + r"))?\b|\b("
                     + "|".join(_TEENS) + r")\b")


def spoken_numbers(f: str) -> str:
    """The folded text with tens said in words as digits ("douazeci si unu" → "21", "fifty-two"
    → "52", "sixteen" → "16"); units alone stay words ("doi copii", "one more question")."""
    def number(m: re.Match) -> str:
        if m.group(3):
            return str(_TEENS[m.group(3)])
        return str(_TENS[m.group(1)] + (_UNITS[m.group(2)] if m.group(2) else 0))
    return _SPOKEN.sub(number, f)


def line(f: str, known: set[str]) -> str | None:
    """The bus line in the folded text ``f`` ("6-ul" → "6"), checked against ``known`` lines if any;
    a line said in words ("autobuzul patruzeci") when none is written in digits."""
    found = _line(f, known)
    if found is None:
        spoken = spoken_numbers(f)
        if spoken != f:
            found = _line(spoken, known)
    return found


def _line(f: str, known: set[str]) -> str | None:
    def ok(v: str) -> bool:
        return not known or v.upper() in known

    for rx in (_LINE_CUE, _LINE_UL, _LINE_VERB):
        for m in rx.finditer(f):
            if ok(m.group(1)):
                return m.group(1).upper()
    if known:
        for m in _LINE_MORE.finditer(f):
            v = next(g for g in m.groups() if g)
            if ok(v):
                return v.upper()
    if known:                                   # a bare "5M", "17B", "A1", "TE3" the feed knows
        for m in re.finditer(r"\b(\d{1,3}[a-z]|[a-z]{1,2}\d{1,2}[a-z]?)\b", f):
            if m.group(1).upper() in known:
                return m.group(1).upper()
    return None
