"""Chatbot, the five-set round (issue 15): the frames around danger words, the dialogue repairs and
the slots written from the kinds of failure sets A–E showed. The texts here are this file's own,
not any set's."""
from __future__ import annotations

import pytest

from services.chatbot.emergency import detect, frame
from services.chatbot.nlu import category
from services.chatbot import references as R
from tests.test_chatbot import bot, parts  # noqa: F401 - fixtures
from twin.text import fold_text

# ---- the frames: asked to learn, hypothetical, a joke, over ----------------------------------------
NOT_NOW = [
    "ce număr sun dacă văd un incendiu în pădure? vreau să-l am în telefon",
    "what's the number for the fire brigade here? we just moved in",
    "is it legal to keep a gas bottle on the balcony?",
    "dacă ia foc podul blocului, ne acoperă asigurarea apartamentul?",
    "is this area at seismic risk? should we be worried about an earthquake?",
    "my son says his head is on fire after the maths test haha",
    "mi-a luat foc creierul cu formularul ăsta :))",
    "acum trei zile a fost un incendiu la un depozit, mai e închis drumul?",
    "last month there was an explosion at the factory, are the streets open again?",
    "the ambulance came in time and everything is fine now, thank you",
    "parchează mereu pe drumul de acces pentru pompieri, încă nu s-a întâmplat nimic",
    "s-a surpat carosabilul pe strada noastră, e o groapă mare",
    "please fix the loose paving stones before somebody gets hurt",
    "vreau programare la Inspectoratul pentru Situații de Urgență pentru un aviz",
    "ce număr sun dacă arde ceva în bloc?",
    # the eighth round (set F's kinds): time said in other ways, names, the conditional mood
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
    # the ninth round: a number asked to learn, a place, a figure of speech, a finding of no danger
    "what number do I call for an ambulance when I'm abroad in Romania?",
    "la ce număr sun pentru pompieri, 112 sau 981?",
    "which bus goes to the emergency hospital from Livada Poștei?",
    "felt like dying in that queue at the tax office, fix your system",
    "vecinul de jos fumează pe geam și fumul de țigară vine la noi în dormitor",
    "the cabinet door by the school is open, nothing is sparking but kids touch it",
    "zidul s-a fisurat, nu s-a prăbușit încă nimic, dar trebuie văzut",
    "the tree hasn't fallen yet, but it leans more every week",
    "am văzut la știri că s-a prăbușit un balcon, al nostru arată la fel",
    "o să moară cineva pe trecerea asta dacă nu puneți un semafor",
    "are there first-aid courses for parents in Brașov?",
    "taxi drivers and ambulances keep missing the turn because the street sign is gone",
    "am stat blocat în trafic o oră pe Calea București, faceți ceva cu semafoarele",
    "cât de mare e riscul de cutremur pentru blocurile din anii '70?",
    "the boiler in the hall drips, not gas, just water, who fixes it?",
    "mor de plictiseală la coada de la ghișeu, de ce durează atât?",
    "the explosion of red tape at the permits office is absurd",
    "unde e remiza de pompieri? copiii vor să vadă mașinile de pompieri de aproape",
    "is there a bear watching tour near Brașov for tourists?",
    "it's not a gas leak, just a hissing water pipe under the pavement",
    "cum se face corect masajul cardiac? întreb pentru orice eventualitate",
    "the bin that burned is out now, only the melted plastic is left",
    "niște puști au desenat graffiti pe toată parcarea",
    "which buses stop at Pompieri in the morning?",
    "is it true that old boilers explode after twenty years?",
    "I'm dying to know if the bear story is just a rumour",
    "pentru cursul de prim ajutor: ce e un atac de cord?",
    "vecinul bate cu flexul în garaj până la miezul nopții",
    "some benches were pulled out and thrown in the lake in the park",
    "o dubă stă pe trotuar și nu pot ieși cu căruciorul din scară",
    "podul de pe Oltului e o bombă cu ceas, reparați-l",
    "era să fac infarct când am văzut impozitul pe casă anul ăsta",
    "cum scot o pată de sânge de pe un tricou?",
    "is there a petrol station open at night? I'm nearly out of gas",
    "a van is blocking my driveway and I can't get out to go to work",
    "the new trees on our street are dying, nobody waters them",
    "a branch fell on the path last night, nobody was under it",
    "sorry, gotta go, my kettle's screaming",
    "mi-a venit să explodez la ghișeu, a treia oară același act",
    "I nearly had a stroke on hold with your call centre",
    "is the emergency situations office open to visitors? it's for a fire drill at school",
    "the bus shelter burned down last month, there are still soot marks, can you clean it?",
    "it sounded like an explosion but it's only the bins being emptied at 5am",
    "miroase a gaz lângă tomberoane, dar e de la gunoi, nu e nicio scurgere",
    "are bears dangerous on the Tâmpa trail in winter?",
    "is the 20 running to Poiana now that the avalanche warning is over?",
    "pa, fug că-mi ard sarmalele",
]


@pytest.mark.parametrize("text", NOT_NOW)
def test_danger_words_asked_about_imagined_joked_or_over_raise_no_clear_alarm(text):
    a = detect(text)
    assert a is None or a.level == "ambiguous", (text, a)


STILL_NOW = [
    "e cutremur acum, blocul se clatină și bunica a căzut",
    "care e numărul de urgență?? soțul meu nu mai respiră",
    "yesterday he fell and since then he can't get up, he is not answering",
    "haha no seriously, my neighbour is bleeding on the stairs",
    "ce fac dacă a luat foc bucătăria chiar acum?",
    "care e numărul pompierilor? arde casa vecinului!",
    "what number do I call? the house next door is on fire",
    # a question about rules or numbers is about a person here, not a hazard
    "ce număr sun? copilul a înghițit o baterie",
    "is it legal that my husband beats me every night?",
    "should I be worried? my son swallowed a battery an hour ago",
    "haha very funny guys but seriously there is smoke coming out of the flat next door",
    "yesterday we had a gas leak, today it smells of gas again in the stairwell",
    # the eighth round
    "the kitchen caught fire an hour ago and my father is still inside",
    "acum o oră a început să miroasă a gaz și încă miroase tare pe scară",
    "la stația Pompieri a luat foc un autobuz, sunt oameni înăuntru",
    "the firemen came last week but now the roof is on fire again",
    "dacă ar fi cineva înăuntru? arde casa vecinului acum",
    "he is still there on the floor, not breathing",
    # the ninth round: the same words with a danger now
    "what number do I call? my neighbour collapsed and is not breathing",
    "we are at the emergency hospital gate and my father is bleeding in the car, nobody comes out",
    "vecinul fumează în pat și acum iese fum negru pe geam",
    "nothing is sparking now but the cable is lying on the boy, he is not moving",
    # emergencies described with medical words, or a small child where it cannot be
    "omul de la coadă a făcut stop cardiac, un domn îi face RCP",
    "my brother swallowed a whole bottle of sleeping pills and won't talk to me",
    "tata și-a făcut de două ori doza de insulină și acum nu mai reacționează",
    "taximetrist, sunt blocat în trafic pe Calea Bucureşti și pasagera mea a rupt apa, are contracții la 3 minute",
    "bunicul are febră 41 și delirează de o oră",
    "a little boy is alone on a windowsill on the fifth floor of the block across the road",
    "un copil de 3 ani merge singur pe marginea drumului, trec mașini mari",
    "the neighbours' toddler is locked out on the balcony in the freezing cold, crying",
    "m-a înțepat o albină și mi se umflă limba, abia respir",
    "a man is lying on the rails near the station and the train is due",
    "nu-l pot trezi pe tata, sforăie ciudat",
    "de când am aprins soba nouă toată familia e amețită și ne doare capul",
    # set H, studied after its blind measurement: the same kinds in other words
    "a child is buried under the sand pile at the site, only his arm shows",
    "apa a ajuns la portiere și mașina e blocată în pasajul de la gară",
    "cade gheața de pe acoperiș chiar pe trotuarul pe unde trec copiii la școală",
    "un băiat s-a urcat pe un vagon chiar lângă firele de contact",
    # set I, studied after its blind measurement
    "un copil a căzut într-un șanț adânc la lucrări și plânge",
    "the river swept away a car with a woman inside",
    "cad bucăți de tencuială de pe bloc pe trotuar, trec copii pe acolo",
    # set J, studied after its blind measurement
    "the crane on the site next door toppled over and the driver is inside",
    "trei indivizi l-au bătut pe vecin în parcare, e pe jos",
    "someone is on the ledge of the bridge and says he'll jump",
    "am cea mai cumplită durere de cap și văd dublu",
    # set K, studied after its blind measurement
    "a baby left in a hot car outside Kaufland, nobody around",
    "a driver ploughed into the crowd at the tram stop",
    "ard tufele pe deal și focul coboară spre case",
]


@pytest.mark.parametrize("text", STILL_NOW)
def test_a_danger_now_stays_clear_whatever_the_frame(text):
    a = detect(text)
    assert a is not None and a.level == "clear", (text, a)


def test_the_frame_of_a_message_is_told_apart():
    assert frame("is grilling on the balcony actually illegal here?") == "negated"
    assert frame("a fost un incendiu anul trecut în scara noastră, mai e valabilă asigurarea") in ("negated", "past")
    assert frame("two years ago there was a flood here, is the basement safe now?") in ("negated", "past", "damped")
    assert frame("vreau să plătesc impozitul") not in ("negated", "past")


def test_the_model_alone_does_not_sound_the_alarm_on_a_question_asked_to_learn(bot):
    u = bot.understand("my neighbour threatens to call the firefighters over my barbecue, is grilling on a balcony illegal?", "en")
    assert u.intent != "emergency", u


# ---- dialogue repairs ----------------------------------------------------------------------------
def _acts(r, kind):
    return [a for a in r["actions"] if a["type"] == kind]


def test_a_no_that_answers_something_else_does_not_cancel(bot):
    r = bot.reply("nr1", "becul de pe stâlp nu merge pe Strada Lungă")
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("nr1", "nu știu numărul casei, e cam la jumătatea străzii")
    assert r["awaiting"] == "confirmation" and not _acts(r, "open311_request"), r
    r = bot.reply("nr1", "da")
    assert _acts(r, "open311_request"), r
    bot.reply("nr2", "there's rubbish dumped on Strada Lungă", {"language": "en"})
    r = bot.reply("nr2", "no, it's not urgent at all, just ugly", {"language": "en"})
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("nr2", "no, cancel it", {"language": "en"})
    assert r["awaiting"] is None and not _acts(r, "open311_request"), r


def test_a_correction_that_names_the_wrong_street_too_keeps_the_right_one(bot):
    r = bot.reply("cs1", "e o groapă pe Strada Lungă")
    assert r["slots"].get("street") == "Strada Lungă", r
    r = bot.reply("cs1", "pardon, am încurcat, e pe Strada Zizinului, nu pe Strada Lungă, scuze")
    assert r["slots"].get("street") == "Strada Zizinului", r
    r = bot.reply("cs1", "da, trimiteți")
    assert _acts(r, "open311_request") and _acts(r, "open311_request")[0]["street"] == "Strada Zizinului", r


def test_a_yes_with_another_street_files_it_there(bot):
    bot.reply("ys1", "e o groapă pe Strada Lungă")
    r = bot.reply("ys1", "da, dar pe Strada Zizinului, trimite")
    assert _acts(r, "open311_request")[0]["street"] == "Strada Zizinului", r


def test_asking_for_a_person_while_confirming_is_a_handoff(bot):
    bot.reply("hp1", "e o groapă pe Strada Lungă")
    r = bot.reply("hp1", "de fapt aș vrea să vorbesc cu cineva de la primărie, am mai reclamat")
    assert _acts(r, "handoff") and not _acts(r, "open311_request"), r


def test_the_rest_of_an_answer_is_kept(bot):
    r = bot.reply("ra1", "vreau să fac o reclamație")
    assert r["awaiting"] == "category", r
    r = bot.reply("ra1", "nu arde niciun bec pe Strada Zizinului")
    assert r["slots"].get("category") == "streetlight" and r["slots"].get("street") == "Strada Zizinului", r
    assert r["awaiting"] == "confirmation", r


def test_a_line_corrected_with_a_bare_number(bot):
    r = bot.reply("lc1", "când pleacă 20 spre Poiana?")
    assert r["slots"].get("line") == "20", r
    r = bot.reply("lc1", "adică nu, vreau 140")
    assert r["slots"].get("line") == "140", r


def test_two_unclear_messages_are_read_together(bot):
    bot.reply("cl1", "hi, about something I sent you last month", {"language": "en"})
    r = bot.reply("cl1", "the number is 50377", {"language": "en"})
    assert r["intent"] in ("request_status", "clarify"), r
    if r["intent"] == "request_status":
        assert r["slots"].get("request_id") == "50377", r


# ---- slots ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,line", [("27 vine din oră în oră seara?", "27"), ("troleibuzu 3 până când circulă?", "3"),
                                       ("is there a 25 bus after midnight?", "25"), ("at what time is 810 spre Predeal", "810"),
                                       ("the minibus 50, where does it stop?", "50")])
def test_lines_as_residents_write_them(text, line):
    known = {"27", "3", "25", "810", "50", "20"}
    assert R.line(fold_text(text), known) == line


@pytest.mark.parametrize("text", ["20 de minute aștept", "4 stații mai încolo e o groapă", "2 people waited"])
def test_numbers_that_are_not_lines(text):
    assert R.line(fold_text(text), {"20", "4", "2"}) is None


def test_a_dead_animal_by_the_road_is_other_not_rubbish():
    assert category(fold_text("o vulpe moartă pe marginea drumului de ieri")) == "other"
    assert category(fold_text("a dead deer lies on the road near the forest")) == "other"
    assert category(fold_text("pute a hoit lângă ghenă")) == "garbage"


def test_a_street_whose_name_starts_with_de(bot):
    u = bot.understand("e o groapă mare pe strada De Mijloc", "ro")
    assert u.slots.get("street") == "Strada De Mijloc", u.slots


def test_a_street_corrected_with_wait_inside_the_answer(bot):
    bot.reply("cw1", "un bar dă muzică tare toată noaptea")
    r = bot.reply("cw1", "Strada Lungă... nu, stai, e pe Strada Zizinului, scuze")
    assert r["slots"].get("street") == "Strada Zizinului" and r["awaiting"] == "confirmation", r


def test_a_line_corrected_in_the_answer_that_names_the_stop(bot):
    r = bot.reply("cw2", "vreau orarul unei linii")
    assert r["awaiting"] == "stop", r
    r = bot.reply("cw2", "linia 7, adică nu, 17, din stația Saturn")
    assert r["slots"].get("line") == "17" and r["slots"].get("stop") == "Saturn", r


def test_what_a_message_read_as_an_emergency_said_still_counts(bot):
    """A report the model alone read as an emergency (guidance given): when the next message goes
    on with it, its details are not asked again."""
    from services.chatbot.nlu import Understanding

    s = "em1"
    u = Understanding("someone dumped old sofas and tyres behind our block", "en", "emergency", 0.9)
    bot.sessions.pop(s, None)
    bot.reply(s, "hello", {"language": "en"})
    sess = bot.sessions[s]
    out = bot._turn(sess, u.text, u, False)
    assert out["intent"] == "emergency"
    r = bot.reply(s, "it is on Strada Zizinului, please file a report", {"language": "en"})
    assert r["slots"].get("category") == "garbage" and r["slots"].get("street") == "Strada Zizinului", r


def test_a_plain_yes_never_changes_the_street(bot):
    for k, yes in enumerate(["da, asta e", "da, maică, trimiteți", "yes that's the one"]):
        bot.reply(f"py{k}", "e o groapă mare pe Strada Zizinului")
        r = bot.reply(f"py{k}", yes)
        acts = _acts(r, "open311_request")
        assert acts and acts[0]["street"] == "Strada Zizinului", (yes, r)


# ---- the ninth round: refusals, side questions, questions about paying ----------------------------
def test_a_long_no_without_a_refusal_asks_again_and_a_short_one_cancels(bot):
    r = bot.reply("ln1", "gunoaie aruncate lângă containere pe Strada Lungă")
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("ln1", "nu, nu știu cine le aruncă acolo noaptea")
    assert r["awaiting"] == "confirmation" and not _acts(r, "open311_request"), r
    r = bot.reply("ln1", "nu, nu mai vreau să o trimit")
    assert r["awaiting"] is None and not _acts(r, "open311_request"), r


def test_a_refusal_is_taken_back_only_by_a_yes_that_names_the_action(bot):
    bot.reply("tb1", "becul de pe stâlp nu merge pe Strada Lungă")
    r = bot.reply("tb1", "nu")
    assert r["awaiting"] is None and not _acts(r, "open311_request"), r
    r = bot.reply("tb1", "da, trimiteți sesizarea")
    assert _acts(r, "open311_request"), r
    bot.reply("tb2", "becul de pe stâlp nu merge pe Strada Lungă")
    bot.reply("tb2", "nu")
    r = bot.reply("tb2", "ok")                      # an acknowledgement files nothing
    assert not _acts(r, "open311_request"), r


def test_a_side_question_during_a_payment_then_the_payment(bot):
    r = bot.reply("sq1", "vreau să plătesc impozitul pe clădiri")
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("sq1", "există vreo reducere dacă plătesc tot anul deodată?")
    assert r["intent"] == "tax_info" and not _acts(r, "tax_payment"), r
    r = bot.reply("sq1", "bine, atunci plătesc tot")
    assert _acts(r, "tax_payment") or r["awaiting"] == "confirmation", r
    if not _acts(r, "tax_payment"):
        r = bot.reply("sq1", "da")
    assert _acts(r, "tax_payment")[0]["tax_type"] == "property", r


def test_a_question_about_paying_is_answered_before_the_offer_and_no_pays_nothing(bot):
    r = bot.reply("qp1", "pot plăti impozitul pe clădiri online?")
    assert r["awaiting"] == "confirmation" and "martie" in r["text"] and not _acts(r, "tax_payment"), r
    r = bot.reply("qp1", "nu, doar întrebam")
    assert r["awaiting"] is None and not _acts(r, "tax_payment"), r
    r = bot.reply("qp2", "vreau să plătesc impozitul pe clădiri")      # asked to pay: the offer alone
    assert r["awaiting"] == "confirmation" and "martie" not in r["text"], r


def test_a_romanian_answer_without_diacritic_reading_stays_romanian():
    from services.chatbot.nlu import detect_language

    assert detect_language("Pelicanului, în parcarea dintre blocuri.", "ro", trigrams=False, diacritics=False) == "ro"
    assert detect_language("in the car park between the blocks", "ro", trigrams=False, diacritics=False) == "en"


@pytest.mark.parametrize("text, intent", [
    ("ce status are AC 1432/2025? s-a eliberat?", "permit_verify"),
    ("reclamația înregistrată cu 5120/2026 despre gunoaie, ce stadiu are?", "request_status"),   # "cu" = "with"
    ("vreau să-mi ridic un garaj în curte, ce hârtii îmi trebuie înainte?", "documents_info"),
    ("vreau să cer autorizație de construire pentru o casă, ce documente trebuie?", "permit_apply"),
    ("linia 17B, care e programul duminica?", "transport_schedule"),
    ("cât mai datorează tatăl meu la primărie în total?", "tax_info"),
    ("is my mother exempt from the yearly tax on her flat? she is disabled", "tax_info"),
    ("am anunțat lampa stricată luni și marți era reparată, jos pălăria!", "feedback"),
    ("well done on the new benches in the park by the school", "feedback"),
    ("bravo, iar e groapă pe Strada Lungă, a treia oară luna asta", "report_issue"),    # a new problem, with a "bravo"
    ("Bună ziua, sunt președinta asociației de la blocul 7 din Astra.", "greeting"),
    ("Hello, this is Mr Barbu, I live in Schei.", "greeting"),
    ("pot plăti impozitul pe teren în două tranșe? nu zic să plătesc acum, doar să știu", "tax_info"),
    ("mi-au furat buletinul în autobuz, cum îmi fac altul?", "documents_info"),
    ("I need an actual person for this, not a bot", "human_agent"),
    ("am semnalat groapa și au venit a doua zi, chapeau", "feedback"),
    ("numărul permisului de parcare e RZ-0457, mai e activ?", "permit_verify"),
    ("is my parking permit application processed? ref CP-2026-1187", "request_status"),
    ("numărul e AC-3391, e valabilă?", "permit_verify"),
])
def test_the_cues_that_tell_confused_intents_apart(bot, text, intent):
    assert bot.understand(text, "ro").intent == intent, bot.understand(text, "ro").ranked[:3]


def test_a_no_that_names_what_the_citizen_lacks_is_no_refusal(bot):
    r = bot.reply("nt1", "overflowing bins on Strada Lungă", {"language": "en"})
    assert r["awaiting"] == "confirmation", r
    r = bot.reply("nt1", "no photo, sorry", {"language": "en"})
    assert r["awaiting"] == "confirmation" and not _acts(r, "open311_request"), r
    r = bot.reply("nt1", "yes", {"language": "en"})
    assert _acts(r, "open311_request"), r


def test_a_no_then_send_files_and_a_missing_photo_asks_again(bot):
    bot.reply("ns1", "gunoiul nu a mai fost ridicat de o săptămână pe Strada Lungă")
    r = bot.reply("ns1", "nu, doar atât. trimite")
    assert _acts(r, "open311_request"), r
    bot.reply("ns2", "gunoiul nu a mai fost ridicat de o săptămână pe Strada Lungă")
    r = bot.reply("ns2", "Poza n-am, scuze.")
    assert r["awaiting"] == "confirmation" and not _acts(r, "open311_request"), r


def test_references_with_letters_run_in_or_a_short_year():
    from services.chatbot import references as R

    assert R.request_id("the reference on her paper is req4410") == "REQ4410"
    assert R.request_id("stati, l-am gasit: 512/06") == "512/06"
    assert R.request_id("sesizarea din 12/06 despre groapa") != "12/06"       # a date, not a number


def test_a_house_number_said_at_the_confirmation_is_the_reports(bot):
    bot.reply("hn1", "vecinul construiește o anexă fără autorizație pe Strada Lungă")
    r = bot.reply("hn1", "nr 19 cred")
    assert r["awaiting"] == "confirmation" and r["slots"].get("number") == "19" and not _acts(r, "error"), r
    r = bot.reply("hn1", "da, trimite")
    assert _acts(r, "open311_request"), r
