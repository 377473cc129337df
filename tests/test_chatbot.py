"""The citizen assistant on Brașov: every intent in both languages, multi-turn dialogue, actions on
the real city hall and ledger, GTFS answers against the feed, bad input, the API and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from ledger.ledger import Ledger
from services.chatbot.bot import Chatbot
from services.chatbot.nlu import detect_language
from twin.text import fold_text
from services.geo import CityArea
from services.hall import CityHall
from services.store import open_store, sqlite_url
from tests.conftest import shared_file

NOW = datetime(2026, 11, 23, 8, 0)        # a Monday morning inside the RATBV feed's calendar


@pytest.fixture(scope="module")
def parts(brasov_all, timetable, tmp_path_factory):
    area = CityArea(brasov_all)
    hall = CityHall(open_store(sqlite_url(tmp_path_factory.mktemp("chat") / "hall.sqlite")), area)
    ledger = Ledger.open(None, f"sqlite:///{tmp_path_factory.mktemp('chatledger') / 'l.sqlite'}")
    return hall, ledger, area, timetable


@pytest.fixture
def bot(parts, model):
    hall, ledger, area, timetable = parts
    return Chatbot(hall=hall, ledger=ledger, area=area, timetable=timetable, clock=lambda: NOW, model=model)


# ---- understanding ------------------------------------------------------------------------------
EACH_INTENT = {
    "greeting": ("Bună ziua, vă salut", "Good afternoon!"),
    "goodbye": ("la revedere, numai bine", "bye, have a good one"),
    "thanks": ("vă mulțumesc frumos", "thanks very much"),
    "report_issue": ("stâlpul de iluminat de pe strada Turnului nu merge", "rubbish piled up on Strada Zorilor"),
    "request_status": ("ce se întâmplă cu sesizarea 321?", "status of my request 321"),
    "pay_tax": ("aș vrea să plătesc impozitul pe teren", "I want to pay the vehicle tax"),
    "tax_info": ("care e termenul pentru impozitul pe mașină", "when do I have to pay the land tax"),
    "permit_apply": ("vreau să cer certificat de urbanism", "I need to apply for a building permit"),
    "permit_verify": ("verificați autorizația AC-2025-77", "check whether permit AC-2025-77 is valid"),
    "transport_schedule": ("când trece linia 4 prin Livada Poștei", "next bus 4 from Livada Postei"),
    "office_info": ("care e programul de lucru al primăriei", "when is the city hall open"),
    "documents_info": ("ce acte trebuie pentru autorizația de construire", "what documents do I need for a parking permit"),
    "emergency": ("ajutor, a luat foc mașina", "help, my neighbour collapsed"),
    "human_agent": ("vreau să vorbesc cu un operator uman", "please let me talk to a person"),
    "feedback": ("vreau să dau o notă serviciului", "I want to give some feedback"),
    "out_of_scope": ("cine a scris Luceafărul?", "what's the best pizza topping"),
}


@pytest.mark.parametrize("intent", sorted(EACH_INTENT))
@pytest.mark.parametrize("lang", ["ro", "en"])
def test_every_intent_in_both_languages(bot, intent, lang):
    text = EACH_INTENT[intent][0 if lang == "ro" else 1]
    u = bot.understand(text, lang)
    assert u.intent == intent, (text, u.ranked)
    assert detect_language(text, "?") in (lang, "?")


def test_slots_from_real_streets_stops_lines_and_ids(bot):
    u = bot.understand("e o groapa pe str mihai viteazu nr 12", "ro")
    assert u.slots == {"category": "pothole", "street": "Strada Mihai Viteazul", "number": "12"}
    u = bot.understand("becul e ars pe bd. eroilor", "ro")
    assert u.slots["street"] == "Bulevardul Eroilor" and u.slots["category"] == "streetlight"
    u = bot.understand("when does the 17B leave from Livada Postei", "en")
    assert u.slots == {"line": "17B", "stop": "Livada Poștei"}
    assert bot.understand("verify permit ac-2026-00042 please", "en").slots == {"permit_id": "AC-2026-00042"}
    assert bot.understand("stadiul cererii #4411", "ro").slots == {"request_id": "4411"}
    assert bot.understand("vreau sa platesc impozitul pe apartament", "ro").slots == {"tax_type": "property"}


# ---- dialogue and actions ------------------------------------------------------------------------
def test_report_multi_turn_files_a_real_request(bot, parts):
    hall = parts[0]
    r = bot.reply("r1", "vreau să fac o sesizare")
    assert r["intent"] == "report_issue" and r["awaiting"] == "category"
    r = bot.reply("r1", "gunoi aruncat")
    assert r["awaiting"] == "street" and r["slots"]["category"] == "garbage"
    r = bot.reply("r1", "str republicii 5")
    assert r["awaiting"] == "confirmation" and "Strada Republicii 5" in r["text"]
    r = bot.reply("r1", "da")
    act = r["actions"][0]
    assert act["type"] == "open311_request" and act["service_code"] == "sanitation"
    rec = hall.get(act["service_request_id"])
    assert rec["service_code"] == "sanitation" and rec["address"] == "Strada Republicii 5"
    assert parts[2].contains(rec["long"], rec["lat"])
    # and the status of that very request
    r = bot.reply("r1", f"care e stadiul sesizarii {act['service_request_id']}")
    assert r["actions"][0] == {"type": "request_status", "service_request_id": act["service_request_id"],
                               "status": "open"}
    assert act["service_request_id"] in r["text"]
    hall.set_stage(int(act["service_request_id"]), "resolved", "ridicat")
    r = bot.reply("r1", f"what's the status of request {act['service_request_id']}")
    assert r["actions"][0]["status"] == "closed" and r["lang"] == "en" and "closed" in r["text"]


def test_a_no_cancels_and_unknown_ids_are_told(bot, parts):
    bot.reply("r2", "there is a pothole on Strada Lunga")
    r = bot.reply("r2", "no")
    assert r["actions"] == [] and "cancel" in r["text"].lower()
    r = bot.reply("r2", "status of request 999999")
    assert r["actions"][0]["type"] == "error" and "999999" in r["text"]


def test_pay_tax_through_the_ledger_gives_a_verifiable_receipt(bot, parts):
    ledger = parts[1]
    r = bot.reply("p1", "vreau sa platesc impozitul")
    assert r["awaiting"] == "tax_type"
    r = bot.reply("p1", "pe teren")
    assert r["awaiting"] == "confirmation" and "80.00" in r["text"]
    r = bot.reply("p1", "da")
    act = r["actions"][0]
    assert act["type"] == "tax_payment" and act["receipt"][:18] in r["text"]
    assert act["anchored"] is False and act["tx_hash"] is None      # queued; anchored with the next batch
    ledger.anchor()
    assert ledger.receipt(act["payment_id"])["payment"]["ref"] == act["receipt"]
    assert ledger.verify_payment(act["payment_id"]).ok
    # paid at the assistant's clock (simulated time in a run), not the machine's
    from twin.engine import TZ

    assert ledger.receipt(act["payment_id"])["payment"]["paid_at"] == int(NOW.replace(tzinfo=TZ).timestamp())


def test_permit_apply_and_verify_on_the_ledger(bot, parts):
    hall, ledger = parts[0], parts[1]
    r = bot.reply("q1", "I want to apply for a permit")
    assert r["awaiting"] == "permit_type"
    r = bot.reply("q1", "residential parking")
    r = bot.reply("q1", "yes")
    act = r["actions"][0]
    assert act["type"] == "permit_application" and hall.get(act["service_request_id"])["service_code"] == \
        "residential_parking"
    assert "ID card" in r["text"]
    ledger.issue_permit("AC-2026-00042", b"doc", "building", "urbanism", date(2026, 1, 1), date(2027, 1, 1))
    r = bot.reply("q2", "este valabila autorizatia AC-2026-00042?")
    assert r["actions"][0]["status"] == "valid" and "valabilă" in r["text"]
    r = bot.reply("q3", "is permit AC-2099-1 valid?")
    assert r["actions"][0]["status"] == "unknown"


def test_departures_come_from_the_gtfs_feed(bot, timetable):
    r = bot.reply("t1", "when is the next bus 4 from Livada Postei")
    station = timetable.station_name.index("Livada Poștei")
    expect = timetable.next_departures(station, NOW.date(), 8 * 3600, route="4", limit=3)
    got = r["actions"][0]["departures"]
    assert got and [g["time"] for g in got] == [f"{d['departure_s'] // 3600:02d}:{d['departure_s'] % 3600 // 60:02d}"
                                                for d in expect]
    assert all(g["route"] == "4" for g in got) and got[0]["time"] in r["text"]
    r = bot.reply("t2", "cand vine autobuzul")
    assert r["awaiting"] == "stop"
    r = bot.reply("t2", "Rulmentul")
    assert r["actions"][0]["stop"] == "Rulmentul" and r["actions"][0]["departures"]


def test_emergency_first_even_in_the_middle_of_a_dialogue(bot):
    bot.reply("e1", "vreau sa fac o sesizare")
    r = bot.reply("e1", "a avut loc un accident si sunt raniti")
    assert r["intent"] == "emergency" and "112" in r["text"].split(".")[0]
    assert r["actions"] == [{"type": "emergency_guidance", "number": "112", "level": "clear", "kind": "accident"}]
    assert r["awaiting"] is None                       # the report in progress was dropped


# ---- safety: the emergency detector runs before the model -------------------------------------
from services.chatbot.emergency import detect as detect_emergency  # noqa: E402

# the issue's misread examples, then variants: without diacritics, old cedilla letters, typos,
# upper case, English and Romanian, each kind of danger
EMERGENCIES = [
    "There's a strong smell of gas in our building, what do we do?",
    "A tree just fell across the road in Schei and someone is trapped under it.",
    "Un cablu electric a căzut pe trotuar și scoate scântei",
    "Un cablu electric a cazut pe trotuar si scoate scantei",
    "un cablu electric a căzut pe trotuar şi scoate scântei",            # cedilla ş
    "UN CABLU ELECTRIC A CAZUT PE TROTUAR",
    "miroase a gaz pe scara", "miroase puternic a gaz in bucatarie", "I can smell gas in the flat",
    "gas leak on our street", "ajutor, e un incendiu", "e un icnendiu la etajul 2", "arde casa vecinului",
    "iese fum din subsol", "smoke coming out of the school", "the kitchen is on fire",
    "s-a prăbușit un balcon", "the roof collapsed, people inside", "un om e prins sub mașină",
    "my leg is stuck under the rubble", "se bat cu cuțite în fața barului", "someone got stabbed",
    "he has a gun and is threatening us", "bunica nu mai respiră", "my dad collapsed and isn't breathing",
    "vecinul a leșinat", "sângerează foarte tare", "baby is choking", "mă doare pieptul foarte tare",
    "a avut loc un accident pe Calea București, sunt răniți", "car acciddent, people hurt",
    "a explodat o butelie", "something exploded downstairs", "wires hanging down and sparking",
    "un copil s-a înecat în lac", "i think she's having a stroke",
]
NOT_EMERGENCIES = [
    "vreau să plătesc impozitul pe mașină", "nu ard becurile pe strada mea", "becul nu arde de o săptămână",
    "containerul de gunoi e plin", "when does bus 4 come", "care e programul primăriei",
    "e o groapă pe strada Lungă nr 112", "I want to report a pothole", "mulțumesc pentru ajutor!",
    "thanks for the help!", "the fire station's opening hours", "status of request 50377",
    "ce acte trebuie pentru autorizația de construire", "rubbish piled up on Strada Zorilor",
]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergencies_are_caught_with_and_without_diacritics(text):
    alarm = detect_emergency(text)
    assert alarm is not None and alarm.level == "clear", (text, alarm)


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_everyday_messages_raise_no_alarm(text):
    assert detect_emergency(text) is None, text


def test_ambiguous_alarms_are_guidance_never_silence():
    assert detect_emergency("cat costa gazul la bloc").level == "ambiguous"          # a price, not a leak
    assert detect_emergency("a fost un incendiu ieri in parc").level == "ambiguous"   # yesterday
    assert detect_emergency("a fost un incendiu ieri, si acum iese iar fum").level == "clear"   # now, again
    assert detect_emergency("help!").level == "ambiguous"


def test_false_alarm_rate_on_the_training_set_is_low():
    from services.chatbot.training import examples

    rows = [(t, i) for t, i, _ in examples()]
    calm = [t for t, i in rows if i != "emergency"]
    alarms = [t for t in calm if (a := detect_emergency(t)) is not None and a.level == "clear"]
    assert len(alarms) / len(calm) <= 0.01, alarms[:10]
    missed = [t for t, i in rows if i == "emergency" and detect_emergency(t) is None]
    assert len(missed) <= 0.02 * sum(i == "emergency" for _, i in rows), missed      # heavy synthetic typos


@pytest.mark.parametrize("text", ["Hello, I smell gaas in the stairwell", "a căzut un caablu electric",
                                  "un om e prins suub dărâmături", "iese fumdin apartament", "my neighbour ainted"])
def test_misspelt_danger_still_gets_guidance(text):
    alarm = detect_emergency(text)
    assert alarm is not None, text
    assert detect_emergency("serviciul a fost slab, nimeni nu a venit") is None      # "slab" is not "stab"
    assert detect_emergency("it has been a week, have fun") is None


def test_emergency_reply_starts_with_112_and_ambiguous_gets_the_normal_answer_too(bot):
    r = bot.reply("em1", "Un cablu electric a cazut pe trotuar si scoate scantei")
    assert r["intent"] == "emergency" and r["text"].split(".")[0].count("112") == 1
    assert "10 m" in r["text"]                                  # what to do: keep away from the cable
    r = bot.reply("em2", "There's a strong smell of gas in our building, what do we do?")
    assert r["intent"] == "emergency" and r["text"].startswith("If this is an emergency, call 112")
    r = bot.reply("em3", "a fost un incendiu ieri pe strada Lunga, cand vine autobuzul 4 la Livada Postei?")
    assert r["text"].startswith("Dacă cineva este în pericol acum, sunați la 112")
    assert r["actions"][0] == {"type": "emergency_guidance", "number": "112", "level": "ambiguous"}
    assert any(a["type"] == "departures" for a in r["actions"])          # and the normal answer


def test_the_models_second_thought_is_a_safety_net_under_the_detector(bot, model):
    """No cue of the detector fires, the model reads something else, but its probability of an
    emergency is at least SAFETY_NET: the 112 line comes first, then the normal answer; a plain
    question gets no such line."""
    from services.chatbot.nlu import SAFETY_NET

    text = "tata nu ne mai știe numele de azi dimineață și e foarte palid"
    assert detect_emergency(text) is None
    ranked = dict(model.rank(text))
    assert max(ranked, key=ranked.get) != "emergency" and ranked["emergency"] >= SAFETY_NET
    r = bot.reply("net1", text)
    assert r["actions"][0] == {"type": "emergency_guidance", "number": "112", "level": "ambiguous"}
    assert r["text"].startswith("Dacă cineva este în pericol acum, sunați la 112")
    r = bot.reply("net2", "vreau să plătesc impozitul pe casă, cât e anul ăsta?")
    assert not any(a["type"] == "emergency_guidance" for a in r["actions"])


def test_handoff_queue_and_clarifying_instead_of_guessing(bot):
    a = bot.reply("h1", "vreau sa vorbesc cu un om")
    b = bot.reply("h2", "connect me to an operator")
    assert a["actions"][0]["queue_position"] + 1 == b["actions"][0]["queue_position"]
    r = bot.reply("h3", "hmm asta")
    assert r["intent"] == "clarify" and r["actions"][0]["type"] == "clarify"


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "x" * 10_000, "hello buna ziua vreau to pay impozit",
                                  "\x00\x01", "🚌 5 Livada Poștei?", None, 12345])
def test_bad_input_is_answered_without_errors(bot, text):
    r = bot.reply("bad", text)
    assert isinstance(r["text"], str) and r["text"]
    assert set(r) >= {"intent", "confidence", "slots", "text", "actions"}


def test_plain_language_profile_gets_shorter_replies(bot):
    long = bot.reply("l1", "buna ziua")["text"]
    short = bot.reply("l2", "buna ziua", {"language": "ro", "access_needs": ["plain_language"]})["text"]
    assert len(short) < len(long) / 2


# ---- interfaces ----------------------------------------------------------------------------------
def test_post_chat_on_the_services_api(bot, parts):
    from services.open311 import create_app

    client = TestClient(create_app(parts[0], chatbot=bot, anonymous_rate_per_min=0))
    r = client.post("/chat", json={"session_id": "api-1", "text": "care e programul primariei?"})
    assert r.status_code == 200 and r.json()["intent"] == "office_info" and "Eroilor" in r.json()["text"]
    assert client.post("/chat", json={"session_id": "api-1"}).status_code == 400
    assert client.post("/chat", json={"session_id": "", "text": "hi"}).status_code == 400
    assert client.post("/chat", json={"session_id": "x", "text": "a" * 20_000}).status_code == 400


def test_chat_eval_cli_prints_the_figures(tmp_path):
    f = tmp_path / "mine.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in [
        {"text": "buna ziua", "lang": "ro", "intent": "greeting", "slots": {}},
        {"text": "groapa pe strada Lunga", "lang": "ro", "intent": "report_issue",
         "slots": {"category": "pothole", "street": "Strada Lungă"}},
        {"text": "what is the capital of Peru", "lang": "en", "intent": "out_of_scope", "slots": {}}]), encoding="utf-8")
    city = str(shared_file("osm/brasov_all_highways.osm.bz2"))
    out = subprocess.run([sys.executable, "-m", "twin_app", "chat", "eval", str(f), "--city", city, "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["n"] == 3 and r["intent_accuracy"] == 1.0 and r["slot_f1"] == 1.0 and r["latency_ms"]["p95"] > 0
    assert set(r["by_language"]) == {"ro", "en"}
    # the text report (on the demo town, whose streets are not Brașov's: the intents are still all right)
    text = subprocess.run([sys.executable, "-m", "twin_app", "chat", "eval", str(f), "--city", "demo"],
                          capture_output=True, text=True).stdout
    assert "intent accuracy 100.0%" in text and "macro-F1" in text and "p95" in text
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "intent": "dance"}\n', encoding="utf-8")
    err = subprocess.run([sys.executable, "-m", "twin_app", "chat", "eval", str(bad)], capture_output=True, text=True)
    assert err.returncode == 2 and "bad.jsonl:1" in err.stderr and "dance" in err.stderr


# a phrase bank of this test's own (the project's bank, agents/data/chat_phrasebank.jsonl, is
# written apart from the assistant and is not looked at here)
MY_BANK = [("transport_schedule", "ro", "când mai trece {line} prin {stop}?"),
           ("transport_schedule", "en", "next {line} at {stop}?"),
           ("office_info", "ro", "la ce oră se închide primăria azi?"), ("office_info", "en", "town hall hours?"),
           ("documents_info", "ro", "ce acte cer pentru certificatul de urbanism?"),
           ("documents_info", "en", "papers needed for a building permit?"),
           ("tax_info", "ro", "până când se plătește {tax}?"), ("tax_info", "en", "when is the {tax} due?"),
           # a question the assistant may read as a wish to pay: the citizen says no to the offer
           ("tax_info", "ro", "pot plăti {tax} online?"), ("tax_info", "en", "can I pay the {tax} by card?"),
           ("request_status", "ro", "ce mai face sesizarea {request_id}?"),
           ("request_status", "en", "status of my report {request_id}?"),
           ("permit_verify", "ro", "e valabilă autorizația PR-{number}?"), ("permit_verify", "en", "is permit PR-{number} valid?"),
           ("greeting", "ro", "bună seara"), ("greeting", "en", "good evening"),
           ("out_of_scope", "ro", "cine a câștigat meciul aseară?"), ("out_of_scope", "en", "who won the game last night?")]


def _write_bank(path, rows=MY_BANK):
    path.write_text("\n".join(json.dumps({"intent": i, "lang": lang, "text": t}, ensure_ascii=False)
                              for i, lang, t in rows), encoding="utf-8")
    return str(path)


def test_a_run_with_chatbot_users_speaks_from_the_phrase_bank(tmp_path, brasov_all):
    import pandas as pd

    from scenarios import load_scenario
    from twin_app.run import run_scenario

    bank = _write_bank(tmp_path / "bank.jsonl")
    sc = load_scenario("baseline", city=str(shared_file("osm/brasov_all_highways.osm.bz2")), population=1000,
                       hours=8, seed=3, demand={"chat_per_user_per_day": 4.5}, chatbot={"phrasebank": bank})
    s = run_scenario(sc, out=tmp_path / "run", city=brasov_all)
    k = s["kpis"]["chatbot"]
    assert k["conversations"] == s["kpis"]["demand"]["chat_questions"] > 20 and k["phrasebank_misses"] == 0
    assert 0 <= k["containment_rate"] <= 1 and k["handoffs"] + round(k["containment_rate"] * k["conversations"]) \
        == k["conversations"]
    assert k["intent_accuracy"] > 0.8
    ev = pd.read_parquet(tmp_path / "run" / "events.parquet")
    said = [json.loads(p)["said"] for p in ev[ev["kind"] == "chat_conversation"]["payload"]]
    stems = [fold_text(t.split("{")[0]).strip() for _, _, t in MY_BANK]
    assert said and all(any(fold_text(x).startswith(st) for st in stems) for x in said)
    # a citizen who only asked about a tax never pays by saying yes to an offer they did not want
    talks = [json.loads(p) for p in ev[ev["kind"] == "chat_conversation"]["payload"]]
    assert k["declined_confirmations"] >= 1
    assert not any(t["wrong_action"] for t in talks if t["intent"] == "tax_info")


def test_a_missing_or_broken_phrase_bank_is_a_clear_error(tmp_path):
    from services.chatbot.component import PhrasebankError, load_phrasebank

    with pytest.raises(PhrasebankError, match="phrase bank .*nope.jsonl is missing"):
        load_phrasebank(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"intent": "greeting", "lang": "ro", "text": "salut"}\n'
                   '{"intent": "greeting", "lang": "ro", "text": "salut {name}"}\n', encoding="utf-8")
    with pytest.raises(PhrasebankError, match=r"bad.jsonl:2: placeholder \{name\}"):
        load_phrasebank(bad)
    bad.write_text('{"intent": "dance", "lang": "ro", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(PhrasebankError, match="bad.jsonl:1: intent 'dance'"):
        load_phrasebank(bad)
    assert load_phrasebank(_write_bank(tmp_path / "ok.jsonl"))[("greeting", "en")] == ["good evening"]


# ---- city-aware knowledge, local time, per-message language, fines ------------------------------
@pytest.fixture(scope="module")
def demo_bot():
    from twin.city import load_city

    return Chatbot(area=CityArea(load_city("demo")))


def test_the_demo_town_has_its_own_synthetic_town_hall(demo_bot, bot):
    demo = demo_bot.reply("d1", "care e adresa și telefonul primăriei?")
    assert demo["intent"] == "office_info" and "Valea Verde" in demo["text"]
    assert "Eroilor" not in demo["text"] and "0268" not in demo["text"]          # never Brașov's real hall
    en = demo_bot.reply("d2", "what's the town hall's phone number?")
    assert "not a real number" in en["text"] and "0268" not in en["text"]
    real = bot.reply("b1", "care e adresa și telefonul primăriei?")
    assert "Bulevardul Eroilor nr. 8" in real["text"] and "0268 416 550" in real["text"]


def test_a_city_without_town_hall_data_gets_nothing_made_up():
    from types import SimpleNamespace

    from services.chatbot import knowledge as KB

    other = SimpleNamespace(name="Timișoara", pois=[])
    text = KB.office("en", city=other)
    assert "Timișoara" in text and "0268" not in text and "Eroilor" not in text


def test_departures_use_europe_bucharest_time_not_the_machines_utc(parts, timetable, model):
    from datetime import timezone

    hall, ledger, area, tt = parts
    utc = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)                 # 08:00 in Brașov
    b = Chatbot(hall=hall, ledger=ledger, area=area, timetable=tt, clock=lambda: utc, model=model)
    r = b.reply("tz1", "next bus 4 from Livada Postei")
    station = tt.station_name.index("Livada Poștei")
    expect = tt.next_departures(station, NOW.date(), 8 * 3600, route="4", limit=3)       # local 08:00
    got = [d["time"] for d in r["actions"][0]["departures"]]
    assert got == [f"{d['departure_s'] // 3600:02d}:{d['departure_s'] % 3600 // 60:02d}" for d in expect]
    assert got[0] >= "08:00"


def test_the_clock_is_read_in_europe_bucharest():
    from services.chatbot.bot import local_now

    now = local_now(lambda: datetime(2026, 7, 1, 12, 0, tzinfo=__import__("datetime").timezone.utc))
    assert now == datetime(2026, 7, 1, 15, 0)               # summer: UTC+3
    now = local_now(lambda: datetime(2026, 1, 1, 12, 0, tzinfo=__import__("datetime").timezone.utc))
    assert now == datetime(2026, 1, 1, 14, 0)               # winter: UTC+2


def test_each_message_is_answered_in_its_own_language(bot):
    r = bot.reply("lang1", "buna ziua", {"language": "ro"})
    assert r["lang"] == "ro"
    r = bot.reply("lang1", "ok thx")
    assert r["lang"] == "en" and r["intent"] == "thanks" and r["text"] == "You're welcome!"
    r = bot.reply("lang1", "care e programul primariei")
    assert r["lang"] == "ro" and "Program" in r["text"]
    r = bot.reply("lang1", "I want to report a pothole")
    assert r["lang"] == "en" and r["awaiting"] == "street"
    r = bot.reply("lang1", "Strada Lungă 5")                     # an answer keeps the conversation's language
    assert r["lang"] == "en" and r["awaiting"] == "confirmation" and "Confirm" in r["text"]


def test_fines_are_not_permits_nor_taxes(bot):
    for text in ("unde platesc amenda de parcare", "how do I pay a parking fine?"):
        r = bot.reply("f-" + text, text)
        assert r["intent"] == "pay_tax" and r["actions"] == [{"type": "fine_info"}], (text, r)
        assert "tax_type" not in r["slots"] and r["awaiting"] is None
    assert "ghiseul.ro" in r["text"]


# ---- conversations ------------------------------------------------------------------------------
def test_dialogues_score_success_turns_and_wrong_actions(bot):
    from services.chatbot.dialogues import evaluate_dialogues

    rows = [
        {"id": "ok", "lang": "ro", "turns": ["vreau sa raportez o groapa", "pe strada Lunga nr 5", "da"],
         "goal": {"action": "file_request", "category": "pothole", "street": "Strada Lungă"}},
        {"id": "pay", "lang": "en", "turns": ["I'd like to pay my taxes", "the car one", "yes"],
         "goal": {"action": "pay_tax", "tax_type": "vehicle"}},
        # the citizen pays the car tax while the goal was the land tax: a wrong action, a failure
        {"id": "wrong", "lang": "en", "turns": ["pay the car tax", "yes"], "goal": {"action": "pay_tax", "tax_type": "land"}},
        # a filing when nothing should be filed
        {"id": "none", "lang": "ro", "turns": ["e o groapa pe strada Lunga", "da"], "goal": {"action": "none"}},
        {"id": "status", "lang": "ro", "turns": ["ce se intampla cu sesizarea mea?", "SR-2026-004512"],
         "goal": {"action": "request_status", "request_id": "SR-2026-004512"}},
        {"id": "help", "lang": "en", "turns": ["I want to pay a tax", "actually, let me talk to someone"],
         "goal": {"action": "handoff"}},
    ]
    r = evaluate_dialogues(bot, rows)
    assert r["n"] == 6 and r["task_success"] == round(4 / 6, 4)
    assert {f["id"] for f in r["failures"]} == {"wrong", "none"}
    assert r["wrong_actions"] == 2 and r["by_goal"]["file_request"]["turns_needed_mean"] == 3
    assert r["by_goal"]["request_status"]["turns_needed_mean"] == 2


def test_chat_eval_dialogues_cli(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "a", "lang": "en", "turns": ["talk to a human"], "goal": {"action": "handoff"}},
        {"id": "b", "lang": "ro", "turns": ["miroase a gaz in bloc"], "goal": {"action": "emergency"}}]), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "twin_app", "chat", "eval", "--dialogues", str(f), "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["n"] == 2 and r["task_success"] == 1.0 and set(r["by_language"]) == {"en", "ro"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"turns": ["hi"], "goal": {"action": "dance"}}\n', encoding="utf-8")
    err = subprocess.run([sys.executable, "-m", "twin_app", "chat", "eval", "--dialogues", str(bad)],
                         capture_output=True, text=True)
    assert err.returncode == 2 and "bad.jsonl:1" in err.stderr and "dance" in err.stderr


# ---- personalisation and handoff -----------------------------------------------------------------
def test_replies_adapt_to_the_profile(bot):
    low = bot.reply("pz2", "buna ziua", {"language": "ro", "persona": "elderly_low_digital"})["text"]
    assert len(low) < len(bot.reply("pz3", "buna ziua", {"language": "ro"})["text"]) / 2
    # preferred language when the message does not say ("ok")
    assert bot.reply("pz4", "ok", {"language": "en"})["lang"] == "en"
    assert bot.reply("pz5", "ok", {"language": "hu"})["lang"] == "ro"          # Hungarian speakers get Romanian
    # screen readers: no arrows or dashes to stumble on, yes/no spelled out
    sr = {"language": "en", "access_needs": ["screen_reader"]}
    r = bot.reply("pz6", "next bus 4 from Livada Postei", sr)
    assert "→" not in r["text"] and " to " in r["text"]
    r = bot.reply("pz7", "pothole on Strada Lunga", sr)
    assert "(yes/no)" not in r["text"] and "Answer yes or no." in r["text"]
    r = bot.reply("pz8", "what are the opening hours of the city hall", sr)
    assert "–" not in r["text"] and "8:30 to 16:30" in r["text"]


def test_the_handoff_carries_the_conversation_summary(bot):
    bot.reply("ho1", "vreau sa platesc impozitul pe teren", {"language": "ro"})
    bot.reply("ho1", "nu inteleg cat trebuie sa platesc, am doua terenuri in Racadau")
    r = bot.reply("ho1", "vreau sa vorbesc cu un operator")
    act = r["actions"][0]
    assert act["type"] == "handoff"
    summary = act["summary"]
    assert summary["language"] == "ro" and "pay_tax" in summary["topics"]
    assert summary["details"]["tax_type"] == "land" and summary["messages"] == 3
    assert "doua terenuri" in summary["text"]
    while bot.operators and bot.operators[0] is not summary:
        bot.release_operator()
    assert bot.release_operator() is summary                 # the operator gets it


def test_a_line_without_a_stop_gets_its_own_times_then_a_stop_narrows_it(bot, timetable):
    r = bot.reply("ln1", "Cât de des circulă 6-ul dimineaţa?")
    act = r["actions"][0]
    assert r["intent"] == "transport_schedule" and r["slots"] == {"line": "6"} and act["line"] == "6"
    assert act["departures"] and all(d["route"] == "6" for d in act["departures"])
    assert act["departures"][0]["time"] >= "08:00" and "cam la fiecare" in r["text"]
    r = bot.reply("ln1", "Livada Postei")                       # the stop, next: that line there
    assert r["actions"][0]["stop"] == "Livada Poștei" and r["actions"][0]["line"] == "6"


@pytest.mark.parametrize("name,n_em,n_calm", [("emergency_probe.jsonl", 60, 50), ("emergency_probe2.jsonl", 40, 30)])
def test_emergency_probe_recall_and_false_alarms(name, n_em, n_calm):
    """services/chatbot/data/emergency_probe*.jsonl: emergencies and everyday messages written to
    probe the detector (recall before tuning on them was 0.63 and 0.80 for the first, 0.53 for
    the second — bears, burglars, suicide, cold, children at windows; see the README)."""
    from pathlib import Path

    import services.chatbot as pkg

    rows = [json.loads(x) for x in (Path(pkg.__file__).parent / "data" / name).read_text(
        encoding="utf-8").splitlines() if x.strip()]
    em = [r["text"] for r in rows if r["emergency"]]
    calm = [r["text"] for r in rows if not r["emergency"]]
    missed = [t for t in em if detect_emergency(t) is None]
    false_clear = [t for t in calm if (a := detect_emergency(t)) is not None and a.level == "clear"]
    assert len(em) == n_em and len(calm) == n_calm
    assert not missed and not false_clear, (missed, false_clear)


# The detector's fifth wave (issue 15, third round): kinds of emergency the independent sets showed
# the rules lacked, and kinds of calm message they raised alarms on. Phrasings written for the test.
@pytest.mark.parametrize("text,kind", [
    ("peretele blocului se înclină și trosnește, suntem trei familii în scară", "collapse"),
    ("the ceiling is sagging and cracking above the kitchen, we're inside with the kids", "collapse"),
    ("se darama casa de langa noi peste curtea noastra", "collapse"),
    ("transformatorul din spatele scolii face arc electric", "electricity"),
    ("the socket in the hallway is throwing sparks", "electricity"),
    ("un bărbat stă pe marginea podului și zice că se aruncă", "danger"),
    ("a woman is standing on the other side of the railing on the footbridge", "danger"),
    ("am hotarat ca maine termin cu tot", "danger"),
    ("nu-mi găsesc băiatul de 6 ani, era lângă mine la piață", "missing"),
    ("I can't find my little daughter anywhere in the market", "missing"),
    ("m-am ascuns în baie, cineva a spart ușa", "violence"),
    ("there's a stranger inside my flat, I'm hiding in the wardrobe", "violence"),
    ("miroase a cauciuc ars de la vecini si nu raspunde nimeni la usa", "fire"),
])
def test_fifth_wave_emergencies_are_clear(text, kind):
    alarm = detect_emergency(text)
    assert alarm is not None and alarm.level == "clear" and alarm.kind == kind, (text, alarm)


@pytest.mark.parametrize("text", [
    "cei de la gaze au lăsat groapa neacoperită pe strada noastră",
    "that concert last night was fire, who organises the next one?",
    "bateria telefonului moare, unde pot încărca în centru?",
    "mâine e exercițiu de evacuare la incendiu la grădiniță, copiii ies la 10",
    "cum recunosc un accident vascular? întreb pentru mama, vreau să știu din timp",
    "am visat azi-noapte că ardea școala, ce înseamnă?",
    "what do I do if there's a gas leak? just asking",
    "l-au stins pompierii aseară, a rămas doar tomberonul ars",
    "nu e urgent, vreau numărul pompierilor pentru o vizită cu clasa",
    "app-ul crash-uiește când plătesc",
    "my flight got cancelled, who refunds it?",
    "some kids keep poisoning the pigeons in the square",
    "ard de nerăbdare să se deschidă patinoarul",
    "numărul dispeceratului pentru probleme non-urgente?",
])
def test_calm_messages_with_danger_words_are_not_clear_alarms(text):
    alarm = detect_emergency(text)
    assert alarm is None or alarm.level == "ambiguous", (text, alarm)


# The sixth wave (issue 15, fourth round): one or two phrasings per concept, written for the test
# from general knowledge (FAST stroke signs, a seizure, a gas leak's smell ...), not from any set.
@pytest.mark.parametrize("text,kind", [
    ("vecinul de vizavi trage cu pistolul în aer de pe balcon", "violence"),
    ("we just heard gunshots behind the supermarket", "violence"),
    ("mama are fața strâmbată într-o parte și vorbește greu, a început acum", "medical"),
    ("my husband's arm suddenly went numb and his speech is slurred", "medical"),
    ("un bărbat a făcut o criză în parc, se zbate și are spume la gură", "medical"),
    ("bunica a căzut de azi-noapte și nu se poate ridica", "medical"),
    ("a kid fell into the river near the footbridge and can't swim", "medical"),
    ("s-a spart gheața pe iaz și un băiat e în apă", "medical"),
    ("copilul s-a opărit cu ceai fierbinte pe tot brațul", "medical"),
    ("miroase a ouă stricate în toată scara blocului", "gas"),
    ("muncitorii au lovit conducta de gaz cu excavatorul, se aude cum șuieră", "gas"),
    ("macaraua de pe șantier se înclină spre trotuar", "collapse"),
    ("the garage next door is on fire", "fire"),
])
def test_sixth_wave_concepts_are_clear(text, kind):
    alarm = detect_emergency(text)
    assert alarm is not None and alarm.level == "clear" and alarm.kind == kind, (text, alarm)


@pytest.mark.parametrize("text", [
    "the old phone cables are hanging from the pole, they are not live, just ugly",
    "a fost alarmă falsă, detectorul de fum a sunat de la abur",
    "cât costă racordarea la gaz pentru o casă nouă?",
    "where can I recycle a swollen phone battery? it's not burning",
])
def test_sixth_wave_calm_messages_are_not_clear_alarms(text):
    alarm = detect_emergency(text)
    assert alarm is None or alarm.level == "ambiguous", (text, alarm)


def test_a_street_smelling_of_gas_is_an_emergency_however_sure_the_model_is(bot):
    assert bot.understand("miroase tare a gaz pe toată strada noastră", "ro").intent == "emergency"


@pytest.mark.parametrize("text", ["doi tipi se taie cu cuțitele în parcarea de la piață, e sânge pe jos",
                                  "the fire from the burning bins is spreading to the wooden fence of the house"])
def test_a_fight_or_a_spreading_fire_stays_an_emergency_however_sure_the_model_is(bot, text):
    """The model's confident other reading turns a clear alarm ambiguous only for danger words
    with everyday uses (smoke, gas, a cable ...; nlu.EVERYDAY_KINDS), never for a knife fight."""
    assert bot.understand(text, "ro").intent == "emergency"


@pytest.mark.parametrize("text", ["ați făcut o treabă bombă cu parcul nou", "polenul de ambrozie de pe maidan, nu mai pot respira afară"])
def test_slang_and_pollen_are_not_alarms(text):
    assert detect_emergency(text) is None


@pytest.mark.parametrize("text", ["there's black ice on the footbridge, nobody hurt yet, could someone salt it",
                                  "un copac a căzut peste gardul școlii noaptea, n-a fost nimeni rănit"])
def test_a_hazard_with_nobody_at_risk_is_a_report_not_an_emergency(bot, text):
    u = bot.understand(text, "ro")
    assert u.intent == "report_issue" and u.alarm is not None and u.alarm.why == "negated", (u.intent, u.alarm)


@pytest.mark.parametrize("text,intent", [
    ("cum ajung de la Bartolomeu la spital cu autobuzul, trebuie să schimb?", "transport_schedule"),
    ("which bus gets me from the station to the old town fastest?", "transport_schedule"),
    ("până la ce oră e deschis ghișeul de taxe vinerea?", "office_info"),
    ("is the Black Church open on Sunday afternoons?", "out_of_scope"),
    ("ce acte îmi trebuie pentru un duplicat după certificatul de căsătorie?", "documents_info"),
    ("autorizația de construire 311/2024 mai e valabilă?", "permit_verify"),
    ("the chat keeps answering me in Romanian, please fix that", "feedback"),
    ("vreau să reclam zgomot", "report_issue"),
])
def test_third_round_kinds_of_message(bot, text, intent):
    """Kinds of message the independent sets found weak (services/chatbot/voices.py), in words
    written for this test."""
    assert bot.understand(text, "ro").intent == intent


@pytest.mark.parametrize("yes,no", [("da, vă rog", "nu acum"), ("go ahead", "never mind"), ("hai", "nah")])
def test_confirmations_in_everyday_words(bot, yes, no):
    bot.reply("cy-" + yes, "there is a pothole on Strada Lunga")
    r = bot.reply("cy-" + yes, yes)
    assert r["actions"] and r["actions"][0]["type"] == "open311_request"
    bot.reply("cn-" + no, "there is a pothole on Strada Lunga")
    r = bot.reply("cn-" + no, no)
    assert r["actions"] == [] and r["awaiting"] is None


@pytest.mark.parametrize("text,rid", [("dosarul 2025/31877 a ajuns undeva?", "2025/31877"), ("cererea nr. 4521/2026 e gata?", "4521/2026"),
                                      ("my request 54.321 is still open", "54.321"), ("sesizarea 12-4477?", "12-4477"),
                                      ("the code was RQ-88120", "RQ-88120"), ("complaint 2026-BV-0077 assigned?", "2026-BV-0077")])
def test_request_references_keep_their_own_shape(rid, text):
    from services.chatbot import references as R

    assert R.request_id(fold_text(text)) == rid


@pytest.mark.parametrize("text,pid", [("autorizatia nr. 88 din 2023 e reala?", "88 din 2023"), ("permisul 5120-RP mai e activ?", "5120-RP"),
                                      ("check permit BV-CU-3301", "BV-CU-3301"), ("pe panou scrie 77/2025, e bună?", "77/2025"),
                                      ("verifica ac-0412/2025", "AC-0412/2025"), ("CU 905/03.04.2026 valabil?", "CU 905/03.04.2026")])
def test_permit_ids_in_more_formats(text, pid):
    from services.chatbot import references as R

    assert R.permit_id(fold_text(text)) == pid


def test_slots_follow_the_sets_written_apart(bot):
    """Slot conventions of the independent sets (issue 15, third round): the kind of permit in a
    verification too, no tax kind when two are named, the address in a permit or tax question,
    the line a report is about, and no stop where the message names where it is going."""
    u = bot.understand("certificatul de urbanism CU 402/2025 mai e valabil?", "ro")
    assert u.intent == "permit_verify" and u.slots["permit_type"] == "urbanism_certificate" and u.slots["permit_id"] == "CU 402/2025"
    u = bot.understand("vreau să plătesc impozitul pe casă și pe mașină deodată", "ro")
    assert u.intent == "pay_tax" and "tax_type" not in u.slots
    u = bot.understand("cum cer abonament de parcare de reședință pe Strada Lungă?", "ro")
    assert u.slots.get("street") == "Strada Lungă" and u.slots.get("permit_type") == "residential_parking"
    u = bot.understand("șoferul de pe 5 a plecat din stație cu ușile deschise", "ro")
    assert u.intent == "report_issue" and u.slots.get("line") == "5"
    u = bot.understand("ce autobuz iau din Bartolomeu spre Livada Poștei?", "ro")
    assert u.intent == "transport_schedule" and u.slots.get("stop") != "Livada Poștei"


def test_references_in_the_formats_citizens_write():
    from services.chatbot import references as R

    assert R.request_id(fold_text("ce se mai aude cu sesizarea mea nr. 50377?")) == "50377"
    assert R.request_id(fold_text("stadiu #50377")) == "50377"
    assert R.request_id(fold_text("am primit sr-2026-004512, s-a rezolvat?")) == "SR-2026-004512"
    assert R.request_id(fold_text("bl. 12 ap. 4, cererea din 2026")) is None          # a block, a flat, a year
    assert R.permit_id(fold_text("Mai este valabil certificatul de urbanism CU 2210/2025?")) == "CU 2210/2025"
    assert R.permit_id(fold_text("verificati autorizatia pr-08812")) == "PR-08812"
    assert R.permit_id(fold_text("is AC-2026-114 valid")) == "AC-2026-114"
    lines = {"5M", "6", "17", "17B", "4"}
    assert R.line(fold_text("Cât de des circulă 6-ul dimineaţa?"), lines) == "6"
    assert R.line(fold_text("cand vine 5M"), lines) == "5M"
    assert R.line(fold_text("linia 17 la ce ora trece"), lines) == "17"
    assert R.dwelling(fold_text("str. Toamnei bl. 12 sc. A ap. 4")) == {"block": "12", "entrance": "A", "apartment": "4"}


def test_streets_with_abbreviations_or_without_the_type_word(bot):
    assert bot.understand("capacul de canal e spart pe cal. Bucuresti nr 20").slots["street"] == "Calea București"
    assert bot.understand("masini parcate pe b-dul Victoriei").slots["street"] == "Bulevardul Victoriei"
    u = bot.understand("e o groapa mare pe Muresenilor 5")
    assert u.slots["street"] == "Strada Mureșenilor" and u.slots["number"] == "5"
    assert "street" not in bot.understand("vecina a cazut pe scari si nu se misca").slots


def test_sessions_are_bounded_by_count_and_idle_time(demo_bot):
    """At most max_sessions conversations are kept (the least recently used goes first) and one
    idle for session_ttl seconds of the assistant's clock is forgotten."""
    from datetime import timedelta

    now = [datetime(2026, 11, 23, 8, 0)]
    b = Chatbot(area=demo_bot.area, model=demo_bot.nlu.model, clock=lambda: now[0], max_sessions=3, session_ttl=600)
    assert b.reply("a", "vreau să raportez o groapă")["awaiting"] == "street"     # a question is pending
    for sid in ("b", "c"):
        b.reply(sid, "bună ziua")
    b.reply("a", "bună")                                  # "a" used again: now "b" is the oldest
    b.reply("d", "salut")
    assert set(b.sessions) == {"a", "c", "d"} and len(b.sessions) == 3
    now[0] += timedelta(seconds=601)
    assert "a" not in b.sessions and len(b.sessions) == 0   # idle past the time-to-live
    with pytest.raises(ValueError, match="max_sessions"):
        Chatbot(area=demo_bot.area, model=demo_bot.nlu.model, max_sessions=0)


@pytest.mark.parametrize("turns,category,street", [
    (["vreau să reclam zgomot", "strada Sforii... nu, scuze, Strada Turnului nr 4"], "noise", "Strada Turnului"),
    (["report a broken light", "wait, sorry, it's not the light, it's a big pothole", "on Strada Lunga"], "pothole",
     "Strada Lungă")])
def test_a_correction_replaces_what_was_said_before(bot, turns, category, street):
    sid = "corr-" + turns[0]
    for t in turns:
        r = bot.reply(sid, t)
    assert r["awaiting"] == "confirmation" and r["slots"]["category"] == category and r["slots"]["street"] == street
    r = bot.reply(sid, "da" if "ă" in turns[0] else "yes")
    assert r["actions"][0]["type"] == "open311_request" and r["actions"][0]["street"] == street


def test_what_an_unclear_first_message_said_is_kept(bot):
    """A first message the assistant could not place (out of scope or unclear) still named the
    problem: the street given next makes it a report with that category; the Romanian street
    name does not switch an English conversation to Romanian; "no one hurt, yes file it" is a yes."""
    bot.reply("uncl", "works with a jackhammer begin at 5 every morning behind our flats", {"language": "en"})
    r = bot.reply("uncl", "Strada Lungă")
    assert r["awaiting"] == "confirmation" and r["slots"]["category"] == "noise" and r["lang"] == "en"
    r = bot.reply("uncl", "no one hurt obviously, yes file it")
    filed = [a for a in r["actions"] if a["type"] == "open311_request"]
    assert filed and filed[0]["street"] == "Strada Lungă"


def test_a_line_then_the_station_by_its_everyday_name(bot):
    bot.reply("l17", "mersul liniei 17B")
    r = bot.reply("l17", "de la gara")
    dep = [a for a in r["actions"] if a["type"] == "departures"]
    assert dep and dep[0]["stop"] == "Terminal Gară" and dep[0]["line"] == "17B"


def test_a_yes_that_puts_it_off_pays_nothing(bot):
    assert bot.reply("later-1", "I want to pay the land tax")["awaiting"] == "confirmation"
    r = bot.reply("later-1", "ok I'll pay next week")
    assert not [a for a in r["actions"] if a["type"] == "tax_payment"] and r["awaiting"] is None


# ---- second round of issue 15: slots and indirect emergencies in residents' words -----------------
@pytest.mark.parametrize("text, slots", [
    # a name that is both an Aleea and a Strada: the Strada unless the message says "aleea"
    ("nu mai ard lămpile pe Strada Minerva 14", {"street": "Strada Minerva", "number": "14"}),
    ("gunoaie pe minerva", {"street": "Strada Minerva"}),
    ("canalizarea a dat pe dinafară pe al. Lupeni", {"street": "Aleea Lupeni"}),
    # a landmark says where, not what: the problem beside it is the category
    ("e o gaură în drum lângă stația de autobuz de pe Calea București 50",
     {"category": "pothole", "street": "Calea București", "number": "50"}),
    ("the road near the traffic lights on Calea Bucuresti has a massive crater", {"category": "pothole"}),
    ("somebody dumped an old fridge and a couch next to the bus stop on Strada Toamnei", {"category": "garbage"}),
    # everyday words, no lexicon keyword
    ("buruienile au crescut de un metru între blocuri pe Strada Griviței", {"category": "green_space"}),
    ("pute a hoit de o săptămână pe Strada Crângului", {"category": "garbage", "street": "Strada Crângului"}),
    # the house number before the street, never the block's after it; ice and graffiti are "other"
    ("hole in the road outside no. 18 Strada Zaharia Stancu, block 2", {"number": "18", "category": "pothole"}),
    ("dogs barking all night at a kennel behind 9 Strada Zmeurei", {"number": "9", "category": "noise"}),
    ("nu a curățat nimeni zăpada, e gheață pe trotuar pe Strada Lungă", {"category": "other"}),
    # a stop named as a stop is not a street
    ("la stația Saturn geamul de la adăpost e făcut țăndări", {"category": "public_transport", "stop": "Saturn"}),
])
def test_report_slots_in_residents_words(bot, text, slots):
    got = bot.nlu.slots.extract(text, "report_issue")
    assert {k: got.get(k) for k in slots} == slots, got
    assert "street" not in got or "stop" not in slots


def test_an_emergency_gives_the_house_number_too(bot):
    got = bot.nlu.slots.extract("o fetiță s-a blocat în lift între etaje, Str. Memorandului 30", "emergency")
    assert got.get("street") == "Strada Memorandului" and got.get("number") == "30"


@pytest.mark.parametrize("text", [
    "tata nu mai poate vorbi, i s-a strâmbat gura brusc",
    "my husband is sweating, pale and says his left arm feels numb",
    "băiețelul meu de 6 ani a plecat de la școală și nu a ajuns acasă",
    "bunica a dispărut de acasă, are alzheimer și e în papuci",
    "the stove has been on for hours at my gran's and she doesn't answer the door",
    "cineva a ingerat pastile multe, e confuz si vomita",
    "apa a intrat în casă până la genunchi și mama e în scaun cu rotile",
    "zapada de pe acoperis a cazut pe un om, e ingropat",
    "someone is banging on my door screaming they'll kill me",
    "our baby swallowed a battery 10 minutes ago",
])
def test_emergencies_described_not_named_get_112(text):
    alarm = detect_emergency(text)
    assert alarm is not None and alarm.level == "clear", (text, alarm)


@pytest.mark.parametrize("text", ["mi s-a pierdut pisica, a văzut-o cineva?", "I lost my cat, has anyone seen her?",
                                  "did I leave the stove on? no, I turned it off", "how many people live in Brasov"])
def test_their_near_misses_raise_no_clear_alarm(text):
    alarm = detect_emergency(text)
    assert alarm is None or alarm.level == "ambiguous", (text, alarm)


@pytest.mark.parametrize("text, intent", [
    ("I filed a complaint about a broken streetlight last week, reference no. 57740. Has anyone been assigned?",
     "request_status"),
    ("the pothole from case number 41006, is it fixed?", "request_status"),
    ("how can I check if a construction permit is real?", "permit_verify"),
    ("vreau să raportez o groapă pe Strada Lungă nr. 145, nu s-a rezolvat nimic de un an", "report_issue"),
])
def test_a_quoted_reference_asked_about_is_a_status_and_checking_a_permit_a_verification(bot, text, intent):
    assert bot.understand(text, "en").intent == intent


@pytest.mark.parametrize("folder", ["heldout_2026_11_30a", "heldout_2026_11_30b", "heldout_2026_11_30e"])
def test_the_independent_held_out_sets_are_valid_evaluation_files(folder):
    """The sets written apart load as evaluation files (labels from the intent list, languages,
    slots) and every emergency is labelled as one; scoring them is `twin chat eval` (README)."""
    from pathlib import Path

    from services.chatbot.dialogues import load_dialogues
    from services.chatbot.evaluate import load_jsonl

    root = Path(__file__).parent / "data" / "chatbot" / folder
    rows = load_jsonl(root / "residents.jsonl")
    assert len(rows) > 400 and {r["lang"] for r in rows} == {"ro", "en"}
    assert sum(r["intent"] == "emergency" for r in rows) > 80
    if (root / "dialogues.jsonl").exists():
        assert len(load_dialogues(root / "dialogues.jsonl")) >= 40      # the issue asks for ≥ 40 conversations


# ---- getting from A to B: a planned itinerary (services/chatbot/journeys.py, twin.transit.Planner) ----
@pytest.mark.parametrize("text,parts", [("cum ajung de la gara la piata sfatului?", ("gara", "piata sfatului")),
                                        ("how do i get from the train station to tractorul by bus", ("train station", "tractorul")),
                                        ("ce autobuz iau din bartolomeu spre coresi", ("bartolomeu", "coresi")),
                                        ("vreau sa ajung la spital tractorul", (None, "spital tractorul")),
                                        ("when's the next bus to the airport?", (None, "airport")),
                                        ("cand vine 4 la livada postei", None)])
def test_the_two_places_of_a_journey_question(text, parts):
    from services.chatbot.journeys import route_parts

    assert route_parts(text) == parts


def test_a_journey_is_planned_with_rides_and_changes_in_bucharest_time(parts, model):
    """'How do I get from A to B' is answered with the planner's itinerary (RAPTOR on the RATBV
    feed), its times Europe/Bucharest whatever the machine's clock: 06:00 UTC is 08:00 here."""
    from datetime import timezone

    hall, ledger, area, tt = parts
    utc = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
    b = Chatbot(hall=hall, ledger=ledger, area=area, timetable=tt, clock=lambda: utc, model=model)
    r = b.reply("jr1", "cum ajung din Bartolomeu spre Coresi?")
    j = [a for a in r["actions"] if a["type"] == "journey"]
    assert r["intent"] == "transport_schedule" and j and j[0]["destination"] == "Coresi"
    legs = [g for x in j[0]["journeys"] for g in x["legs"] if g["kind"] == "ride"]
    assert legs and all(g["departure"].startswith("2026-11-23T08") and g["departure"].endswith("+02:00") for g in legs)
    assert any(x["transfers"] >= 1 for x in j[0]["journeys"])            # the Pareto set has a change
    assert "autobuzul" in r["text"] and "08:" in r["text"]


def test_a_destination_then_the_stop_and_an_unknown_place(bot):
    r = bot.reply("jr2", "when's the next bus to the airport?")
    assert r["awaiting"] == "stop"
    r = bot.reply("jr2", "from Livada Poștei")
    j = [a for a in r["actions"] if a["type"] == "journey"]
    assert j and j[0]["stop"] == "Livada Poștei" and j[0]["destination"] == "Aeroportul Brașov" and j[0]["line"] == "A1"
    r = bot.reply("jr3", "cum ajung de la Gară la Răcădău?")          # not in the city's data: said, not guessed
    assert not [a for a in r["actions"] if a["type"] == "journey"] and "Nu știu unde" in r["text"]


# Streets as residents write them (issue 15, fourth round): a person's street by the surname alone
# or with the first name's initial, a street named by a date, the street first with no kind word.
@pytest.mark.parametrize("text,street,number", [
    ("pe Kogălniceanu e o groapă mare", "Bulevardul Mihail Kogălniceanu", None),
    ("copacii de pe N. Bălcescu n-au fost tăiați", "Strada Nicolae Bălcescu", None),
    ("a car blocks the crossing on Gh. Sincai", "Strada Gheorghe Șincai", None),
    ("pe 15 Noiembrie nu ard becurile", "Bulevardul 15 Noiembrie", None),
    ("Zizinului 12, container răsturnat", "Strada Zizinului", "12"),
])
def test_streets_by_surname_initials_date_and_first_word(text, street, number):
    from services.chatbot.nlu import SlotExtractor

    ex = SlotExtractor(street_names=["Bulevardul Mihail Kogălniceanu", "Strada Nicolae Bălcescu", "Strada Gheorghe Șincai",
                                     "Bulevardul 15 Noiembrie", "Strada Zizinului", "Strada 1 Decembrie 1918",
                                     "Strada Ion Creangă", "Strada Ion Neculce"])
    assert ex.street(text) == (street, number)


def test_a_date_is_not_a_street_when_the_message_is_about_a_day():
    from services.chatbot.nlu import SlotExtractor

    ex = SlotExtractor(street_names=["Bulevardul 15 Noiembrie", "Strada 1 Decembrie 1918"])
    assert ex.street("primăria e deschisă pe 1 decembrie?") == (None, None)


# Dialogue repairs (issue 15, fourth round): what residents do mid-conversation.
def test_a_wrong_number_can_be_corrected_in_the_next_message(bot):
    bot.reply("fix1", "I'd like the status of my request", {"language": "en"})
    r = bot.reply("fix1", "99991", {"language": "en"})
    assert r["actions"][0]["type"] == "error" and r["actions"][0]["request_id"] == "99991"
    r = bot.reply("fix1", "sorry, typo: 99919", {"language": "en"})
    assert r["intent"] == "request_status" and r["actions"][0].get("request_id") == "99919", r


def test_a_correction_inside_the_first_message_wins(bot):
    r = bot.reply("fix2", "linia 5, adică nu, 4, din stația Livada Poștei", {"language": "ro"})
    dep = [a for a in r["actions"] if a["type"] == "departures"]
    assert dep and dep[0]["line"] == "4" and dep[0]["stop"] == "Livada Poștei", r


def test_a_follow_up_about_a_line_keeps_the_stop_just_asked_about(bot):
    bot.reply("fix3", "next bus from Livada Poștei?", {"language": "en"})
    r = bot.reply("fix3", "line 4 please", {"language": "en"})
    dep = [a for a in r["actions"] if a["type"] == "departures"]
    assert dep and dep[0]["stop"] == "Livada Poștei" and dep[0]["line"] == "4", r


def test_what_was_said_before_a_clarifying_question_still_counts(bot):
    # (eighth round: the model trained on A-F may read "groapă!!" as a report already, asking the street)
    assert bot.reply("fix4", "groapă!!", {"language": "ro"})["intent"] in ("clarify", "report_issue")
    bot.reply("fix4", "hmm", {"language": "ro"})
    r = bot.reply("fix4", "vreau să reclam ceva pe Strada Lungă 20", {"language": "ro"})
    assert r["intent"] == "report_issue" and r["slots"].get("category") == "pothole", r


def test_a_permit_number_in_a_talk_about_permits_is_checked_as_a_permit(bot):
    bot.reply("fix5", "I have a question about my resident parking permit", {"language": "en"})
    r = bot.reply("fix5", "it's PRR-2026-0001, is it still valid?", {"language": "en"})
    assert r["intent"] == "permit_verify" and any(a["type"] == "permit_verification" for a in r["actions"]), r


@pytest.mark.parametrize("text", ["săptămâna trecută a fost un incendiu la garajele din spate, acum au rămas doar moloz și tablă, cine le strânge?",
                                  "e o urgență... administrativă, mâine expiră termenul, vreau un funcționar"])
def test_a_finished_event_or_a_paperwork_hurry_is_not_answered_as_an_emergency(bot, text):
    u = bot.understand(text, "ro")
    assert u.intent != "emergency", (u.intent, u.alarm)


# ---- leave-one-set-out round (issue 15): hedges, everyday danger words, one lexicon, night journeys ----
@pytest.mark.parametrize("text", ["cred că e monoxid", "cred că e monoxid, bunicul nu se mai simte bine",
                                  "cred că e o scurgere de gaz, nu e nimeni rănit dar pe toți ne doare capul",
                                  "I think the heater leaks carbon monoxide, nobody is hurt but we all have headaches",
                                  "miroase a gaz pe scară, cred că nu e nimic grav"])
def test_a_hedge_is_not_a_negation(text):
    """'cred că' / 'I think' is a hedge: the alarm stays clear; a symptom felt now undoes 'nobody hurt'."""
    a = detect_emergency(text)
    assert a is not None and a.level == "clear", (text, a)


def test_a_negation_said_as_a_finding_still_calms():
    assert detect_emergency("a fost un incendiu la ghenă, l-au stins, nu e nimeni rănit").level == "ambiguous"
    assert detect_emergency("cablul electric a căzut pe trotuar, dar nu e sub tensiune").level == "ambiguous"


@pytest.mark.parametrize("text,lang", [
    ("ce hârtii îmi trebuie pentru ajutorul de urgență, ne-a ars casa acum doi ani", "ro"),
    ("unde se depune cererea de racordare la gaz pentru o casă nouă?", "ro"),
    ("s-a ars becul de pe casa scării de o săptămână", "ro"),
    ("gata, vă las, mi se arde mâncarea pe foc :)", "ro"),
    ("nu mai putem trece cu scaunul cu rotile, dubele stau pe trotuar", "ro"),
    ("basul de la club ne omoară în fiecare weekend", "ro"),
    ("how likely is a flood in Brasov? asking for a school project", "en"),
    ("our basement flooded last autumn, which office handles the compensation?", "en"),
    ("the fence by the substation is broken, the wires inside are covered and nothing is live", "en"),
    ("the dogs at the kennel haven't bitten anyone but they bark at the kids all day", "en"),
    ("this tax form is giving me a heart attack, where do I sign it?", "en"),
])
def test_everyday_and_paperwork_uses_of_danger_words_are_no_emergency(bot, text, lang):
    u = bot.understand(text, lang)
    assert u.intent != "emergency", (text, u.intent, u.alarm, u.ranked)


def test_the_words_naming_a_request_are_one_lexicon():
    """nlu.REF_CUE (a reference quoted asks about its request) and the request_id rule read the same
    words (references.REQUEST_WORDS): a reference introduced by any of them is both."""
    from services.chatbot import references as R
    from services.chatbot.nlu import REF_CUE

    for text in ("dosarul 70311", "petiția nr. 70311", "case number 70311", "sesizarea mea cu numărul 70311",
                 "nr. de înregistrare 70311", "the ticket no. 70311", "#70311"):
        f = fold_text(text)
        assert R.request_id(f) == "70311" and REF_CUE.search(f), text
    assert "dosar(?:ul)?" in R.REQUEST_WORDS and R.request_cue().count("dosar") == 1


def test_a_journey_asked_at_night_gives_the_first_one_in_the_morning(parts, model):
    from datetime import timezone

    hall, ledger, area, tt = parts
    late = datetime(2026, 11, 23, 21, 40, tzinfo=timezone.utc)          # 23:40 in Brașov: the A1 has stopped
    b = Chatbot(hall=hall, ledger=ledger, area=area, timetable=tt, clock=lambda: late, model=model)
    r = b.reply("night1", "cum ajung de la gară la aeroport?")
    j = [a for a in r["actions"] if a["type"] == "journey"]
    assert j and j[0]["journeys"] and r["text"].startswith("Acum nu mai circulă"), r["text"]
    assert j[0]["journeys"][0]["legs"][0]["departure"][:10] == "2026-11-24"


def test_a_line_with_a_place_the_data_do_not_name_gives_the_line_departures(bot):
    r = bot.reply("air2", "A1, from the airport to town", {"language": "en"})
    assert [a["type"] for a in r["actions"]] == ["departures"], r


def test_a_line_given_when_the_stop_is_asked_is_kept(bot):
    r = bot.reply("pl1", "când pleacă autobuzul spre Poiana?")
    assert r["awaiting"] == "stop"
    r = bot.reply("pl1", "20")
    assert r["awaiting"] == "stop" and r["slots"]["line"] == "20"
    r = bot.reply("pl1", "din Livada Poștei")
    j = [a for a in r["actions"] if a["type"] == "journey"]
    assert j and j[0]["destination"] == "Poiana Brașov" and j[0]["line"] == "20", r


def test_the_tax_just_asked_about_is_the_one_paid_and_a_correction_changes_it(bot):
    bot.reply("tx1", "cât e impozitul pe teren pentru 300 mp?")
    r = bot.reply("tx1", "bine, atunci vreau să-l plătesc")
    assert r["awaiting"] == "confirmation" and r["slots"]["tax_type"] == "land", r
    bot.reply("tx2", "I'd like to pay my car tax", {"language": "en"})
    r = bot.reply("tx2", "actually no, the land tax, the car one is already paid", {"language": "en"})
    assert r["awaiting"] == "confirmation" and r["slots"]["tax_type"] == "land", r


def test_a_street_with_its_kind_word_wins_over_a_bare_name(bot):
    u = bot.understand("scriu in romana: e o groapa pe Calea Poienii la iesire", "ro")
    assert u.slots.get("street") == "Calea Poienii", u.slots
    u = bot.understand("vine 23-ul? stau în stație la Lujerului de 20 de minute", "ro")
    assert "street" not in u.slots and u.slots.get("stop") == "Lujerului", u.slots


def test_early_morning_works_are_noise():
    from services.chatbot.nlu import category

    assert category(fold_text("the roadworks start at 5 am every day")) == "noise"
    assert category(fold_text("excavatorul începe la 6 dimineața")) == "noise"


def test_a_street_that_runs_on_into_another_is_known(brasov_all):
    """Strada Lujerului runs on into Strada Cavalului with no junction between them; osmnx merged
    them into edges named Cavalului only until an edge ended where the name changes (3553042):
    the street list, the slot matcher and the geocoder know both."""
    assert "Strada Lujerului" in brasov_all.street_names and "Strada Cavalului" in brasov_all.street_names
    lon, lat, name = CityArea(brasov_all).geocode("str. Lujerului")
    assert name == "Strada Lujerului" and 25.5 < lon < 25.6 and 45.7 < lat < 45.72


def test_the_residents_sets_in_training_can_be_left_out():
    """The shipped training rows hold the eleven sets' messages as written; a set can be left out."""
    from pathlib import Path

    from services.chatbot.training import resident_rows

    root = Path(__file__).resolve().parents[1]

    def rows_of(letter):
        return [(r["text"], r["intent"], r["lang"]) for r in map(json.loads, (
            root / f"tests/data/chatbot/heldout_{'2026_12_01' if letter in 'fghijk' else '2026_11_30'}{letter}/residents.jsonl"
        ).read_text(encoding="utf-8").splitlines())]

    assert resident_rows(exclude=("a",)) == [r for x in "bcdefghijk" for r in rows_of(x)]
    assert resident_rows() == [r for x in "abcdefghijk" for r in rows_of(x)]
    r = subprocess.run([sys.executable, "scripts/chatbot_loso.py", "--sets", "a"], capture_output=True, text=True, cwd=root)
    assert r.returncode == 2 and "--sets" in r.stderr
