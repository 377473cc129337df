"""Folding text for matching: one home for case, diacritics, punctuation and street names.

Romanian is written with and without diacritics (``Brașov``, ``Brasov``, and the old cedilla
forms ``ş``/``ţ``), in any case, with abbreviations for the kind of street (``Str.``,
``B-dul``). Everything in the twin that matches a name a person typed against a name in the
data folds both sides with one of these functions, so that they agree. The variants differ in
what they keep, because their uses do:

======================  =====================================  ===============================
function                ``"Str. Nicolae Bălcescu nr. 5, Brașov"``  used for
======================  =====================================  ===============================
:func:`strip_diacritics` ``Str. Nicolae Balcescu nr. 5, Brasov``  writing as people type
:func:`fold`             ``strnicolaebalcescunr5brasov``          exact keys of names
:func:`fold_text`        ``str. nicolae balcescu nr. 5, brasov``  reading a message
:func:`fold_words`       ``str nicolae balcescu nr 5 brasov``     tokens
:func:`street_words`     ``nicolae balcescu``                     fuzzy street matching
:func:`street_key`       ``nicolaebalcescu``                      exact street keys
:func:`slugify`          ``str-nicolae-balcescu-nr-5-brasov``     file and topic names
======================  =====================================  ===============================

Hand-written (a few lines over :mod:`unicodedata`): libraries such as ``unidecode`` transliterate
whole scripts, which we do not need, and would add a dependency to the core.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "fold_text", "fold_words", "is_street_name", "slugify", "street_key", "street_words",
           "strip_diacritics", "STREET_KINDS", "NOT_A_STREET"]

#: The kinds of street a name may start with, folded (Romanian in full and abbreviated, English).
STREET_KINDS = ("strada", "str", "bulevardul", "bulevard", "bd", "bdul", "b dul", "blvd", "calea", "aleea", "al",
                "piata", "pta", "soseaua", "sos", "splaiul", "intrarea", "drumul", "street", "st", "road", "rd",
                "avenue")
_KIND = re.compile(r"^(?:" + "|".join(re.escape(k) for k in sorted(STREET_KINDS, key=len, reverse=True))
                   + r")\b\s*")
_TRAILING_KIND = re.compile(r"\s(?:street|st|road|rd|avenue|boulevard)$")
#: OpenStreetMap way names that are not addresses, folded: bus platforms and bus bays ("Stația RAT
#: Saturn - Peron 2", "Peron linia 2-3"), cycle paths ("Pistă de biciclete - Bd. Iuliu Maniu"),
#: pavements and car parks.
NOT_A_STREET = re.compile(r"^(?:statia|statie|peron|pista|trotuar|parcare|parcarea)\b")
_HOUSE_NUMBER = re.compile(r"\b(?:nr|no|numarul)\s*\d+\s*[a-z]?\b|\s\d+\s?[a-z]?$")


def strip_diacritics(text: str) -> str:
    """``text`` without combining marks (``"Brașov"`` → ``"Brasov"``); case and punctuation kept."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def fold(text: str) -> str:
    """Lower case, ASCII, letters and digits only: an exact key (``"Brașov Centru"`` → ``"brasovcentru"``)."""
    return re.sub(r"[^a-z0-9]+", "", _ascii_lower(text))


def fold_text(text: str) -> str:
    """Lower case, ASCII, runs of white space as one space; punctuation kept (a message as read)."""
    return re.sub(r"\s+", " ", _ascii_lower(text)).strip()


def fold_words(text: str) -> str:
    """Lower case, ASCII words separated by single spaces; all punctuation gone."""
    return re.sub(r"[^a-z0-9]+", " ", _ascii_lower(text)).strip()


def slugify(text: str) -> str:
    """ASCII slug of a name: ``"Brașov"`` → ``"brasov"`` (``"city"`` when nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii_lower(text)).strip("-") or "city"


def street_words(text: str) -> str:
    """The name of a street as words, without its kind, house number or town.

    ``"Str. Mureșenilor 5, Brașov"`` → ``"muresenilor"``; ``"Bulevardul 15 Noiembrie"`` →
    ``"15 noiembrie"`` (a number inside the name stays); ``"Strada Calea București"`` →
    ``"bucuresti"`` (kinds are removed while one leads). Geocoding and the chatbot both key
    street names with this, so what one understands the other finds.
    """
    t = re.split(r"[,;]", text, maxsplit=1)[0]
    t = fold_words(t)
    t = _HOUSE_NUMBER.sub(" ", t).strip()
    while True:
        shorter = _KIND.sub("", t).strip()
        shorter = _TRAILING_KIND.sub("", shorter).strip() or shorter
        if shorter == t or not shorter:
            break
        t = shorter
    return re.sub(r"\s+", " ", t)


def is_street_name(name: str) -> bool:
    """Whether an OSM way name is a street a citizen could give as an address (not a bus platform,
    a cycle path, a pavement or a car park: :data:`NOT_A_STREET`). Decided by the name, not the
    road class: Brașov's platforms are mapped as service roads, and real streets such as Strada
    Sforii are footways."""
    return not NOT_A_STREET.match(fold_words(name))


def street_key(text: str) -> str:
    """:func:`street_words` without spaces: an exact key (``"Str. Mureșenilor 5"`` → ``"muresenilor"``)."""
    return street_words(text).replace(" ", "")
