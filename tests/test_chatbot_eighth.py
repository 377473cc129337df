"""Chatbot, the eighth round (issue 15): kinds of failure a sixth writer (set F) showed that the
five-set round's rules did not carry to — time said in other ways, names and the conditional
mood around danger words; a confirmation answered with more detail or another street; a
correction after an ellipsis; slots asked for read for the task asked about; a stop or a line
given for a place the city's data do not name. The texts here are this file's own, not set F's."""
from __future__ import annotations

import pytest

from services.chatbot.emergency import detect
from services.chatbot.nlu import PERMIT_RULES, category
from tests.test_chatbot import bot, brasov_all, model, parts, timetable  # noqa: F401 - fixtures
from twin.text import fold_text

# ---- the frames --------------------------------------------------------------------------------------
NOT_NOW = [
    "the bench that burned a month ago is still there, black and broken, can you take it away?",
    "acum o lună a luat foc o mașină în parcare și de atunci stă acolo carcasa",
    "the kiosk caught fire ages ago, now there's just a burnt frame on the corner",
    "după incendiul de la depozit drumul e plin de moloz, cine îl curăță?",
    "last night somebody set fire to a bin on our street, the firemen came and put it out",
    "a venit ambulanța și bunicul e bine acum, mulțumesc",
    "la stația Pompieri opresc și autobuzele de noapte?",
    "fiica mea vrea să se facă pompier, au zile porților deschise?",
    "ce ar trebui să am într-un rucsac de urgență?",
    "dacă ar izbucni vreodată un incendiu în școală, pe unde ies copiii?",
    "tell me a joke about wolves",
]


@pytest.mark.parametrize("text", NOT_NOW)
def test_over_named_or_imagined_dangers_raise_no_clear_alarm(text):
    a = detect(text)
    assert a is None or a.level == "ambiguous", (text, a)


STILL_NOW = [
    "the kitchen caught fire an hour ago and my father is still inside",
    "acum o oră a început să miroasă a gaz și încă miroase tare pe scară",
    "la stația Pompieri a luat foc un autobuz, sunt oameni înăuntru",
    "the firemen came last week but now the roof is on fire again",
    "dacă ar fi cineva înăuntru? arde casa vecinului acum",
    "he is still there on the floor, not breathing",
]


@pytest.mark.parametrize("text", STILL_NOW)
def test_a_danger_now_stays_clear(text):
    a = detect(text)
    assert a is not None and a.level == "clear", (text, a)


# ---- slots -------------------------------------------------------------------------------------------
def test_a_street_named_with_a_districts_word_and_no_guess_from_short_words(bot):
    ex = bot.nlu.slots
    assert ex.street("cineva a aruncat moloz pe Poiana lui Stechil")[0] == "Strada Poiana lui Stechil"
    assert ex.street("afișe lipite pe zidul de pe Poarta Schei")[0] == "Strada Poarta Schei"
    assert ex.street("boxele bat pe stradă până la 3 noaptea")[0] is None


def test_a_crossing_is_a_road_sign_and_cu_with_a_line_is_no_urbanism_certificate():
    assert category(fold_text("trecerea pentru pietoni de lângă școală s-a șters complet")) == "road_sign"
    assert category(fold_text("the crosswalk paint is gone")) == "road_sign"
    import re
    cu = dict(PERMIT_RULES)["urbanism_certificate"]
    assert not re.search(cu, fold_text("merg cu 20 până sus"))
    assert re.search(cu, fold_text("CU 1432/2025 mai e valabil?"))


# ---- dialogues ---------------------------------------------------------------------------------------
def test_a_no_that_describes_the_problem_does_not_cancel(bot):
    r = bot.reply("n8a", "groapă mare pe Strada Zizinului 20")
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("n8a", "nu mai poți ocoli cu bicicleta deloc")
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("n8a", "da, trimiteți")
    assert any(a["type"] == "open311_request" for a in r["actions"]), r
    r = bot.reply("n8b", "groapă mare pe Strada Zizinului 20")
    r = bot.reply("n8b", "nu, mulțumesc")
    assert r["awaiting"] is None and not r["actions"], r


def test_another_street_said_at_the_confirmation_replaces_the_street(bot):
    r = bot.reply("s8a", "gunoi aruncat lângă containere pe Strada Zizinului")
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("s8a", "Nicolae Bălcescu, lângă parc")
    assert r["awaiting"] == "confirmation" and r["slots"]["street"] == "Strada Nicolae Bălcescu", r


def test_a_correction_after_an_ellipsis(bot):
    r = bot.reply("c8a", "capacul de canal lipsește")
    assert r["awaiting"] == "street", r
    r = bot.reply("c8a", "pe Strada Zizinului... nu, pe Lungă, Zizinului e unde lucrez")
    assert r["slots"].get("street") == "Strada Lungă", r


def test_an_answer_is_read_for_the_task_asked_about(bot):
    r = bot.reply("a8a", "vreau să fac o sesizare")
    assert r["awaiting"] == "category", r
    r = bot.reply("a8a", "pe lanurilor la bartolomeu")
    assert r["slots"].get("street") == "Strada Lanurilor", r
    r = bot.reply("a8a", "indicatorul de la colț e îndoit")
    assert r["awaiting"] == "confirmation" and r["slots"].get("street") == "Strada Lanurilor", r


def test_after_an_emergency_reply_a_report_keeps_what_was_said(bot):
    r = bot.reply("e8a", "a huge branch is hanging over the pavement after the wind", {"language": "en"})
    r = bot.reply("e8a", "Strada Zizinului", {"language": "en"})
    r = bot.reply("e8a", "it has not fallen, nobody is hurt, it just needs cutting", {"language": "en"})
    assert r["slots"].get("category") == "green_space" and r["slots"].get("street") == "Strada Zizinului", r


def test_a_stop_given_for_a_place_the_data_do_not_name_gets_its_departures(bot):
    r = bot.reply("t8a", "which bus goes to my cousin's house?", {"language": "en"})
    if r["awaiting"] == "stop":
        r = bot.reply("t8a", "the stop Livada Postei please", {"language": "en"})
        assert any(a["type"] in ("departures", "journey") for a in r["actions"]), r


def test_a_line_given_for_a_destination_gets_the_lines_times_and_the_stop_is_still_asked(bot):
    r = bot.reply("l8a", "când pleacă autobuzul spre Poiana?")
    assert r["awaiting"] == "stop", r
    r = bot.reply("l8a", "cu 20")
    assert r["awaiting"] == "stop" and r["slots"]["line"] == "20", r
    assert any(a["type"] == "departures" and a["line"] == "20" for a in r["actions"]), r


@pytest.mark.parametrize("text", ["mă puteți suna voi la 0733 111 222? mersi", "aș vrea să fiu sunat de cineva de la taxe",
                                  "I'd rather talk to a real person about my garden", "can you just get me a human pls"])
def test_a_person_asked_for_in_other_words_is_a_handoff(bot, text):
    assert bot.nlu(text, "ro").intent == "human_agent", text


def test_since_last_night_is_not_over():
    from services.chatbot.emergency import frame

    assert frame("bunicul a căzut și stă pe jos de azi noapte, nu se poate ridica") != "past"
