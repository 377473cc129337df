"""One home for folding text: the variants agree where they should and differ where they must."""
from __future__ import annotations

import pytest

from twin.text import fold, fold_text, fold_words, slugify, street_key, street_words, strip_diacritics


def test_the_variants_of_one_address():
    a = "Str. Nicolae Bălcescu nr. 5, Brașov"
    assert strip_diacritics(a) == "Str. Nicolae Balcescu nr. 5, Brasov"
    assert fold(a) == "strnicolaebalcescunr5brasov"
    assert fold_text(a) == "str. nicolae balcescu nr. 5, brasov"
    assert fold_words(a) == "str nicolae balcescu nr 5 brasov"
    assert street_words(a) == "nicolae balcescu"
    assert street_key(a) == "nicolaebalcescu"
    assert slugify("Brașov (demo)") == "brasov-demo" and slugify("!!") == "city"


@pytest.mark.parametrize("typed, name", [
    ("str mureşenilor 5", "Strada Mureșenilor"),          # cedilla ş, house number
    ("B-dul Eroilor 3A", "Bulevardul Eroilor"),
    ("Bd. 15 Noiembrie nr 20", "Bulevardul 15 Noiembrie"),   # a number inside the name stays
    ("Republicii street", "Strada Republicii"),
    ("CALEA BUCUREȘTI, Brașov", "Calea București"),
])
def test_a_street_as_people_type_it_keys_like_its_name(typed, name):
    assert street_key(typed) == street_key(name)
    assert street_words(typed) == street_words(name)


def test_numbers_that_name_a_street_are_not_house_numbers():
    assert street_key("Strada 13 Decembrie") != street_key("Strada Decembrie")
