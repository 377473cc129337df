"""Slot extraction of the chatbot (issue 15): the category of a report, the street, the kind of
permit and of tax. The texts are written for these tests (none is copied from an evaluation set)."""
import pytest

from services.chatbot.nlu import category
from twin.text import fold_text


@pytest.mark.parametrize("text, expected", [
    # a rubbish dump is rubbish, though "groapă" is also a pothole
    ("s-a făcut o groapă de gunoi lângă calea ferată, plină de saci", "garbage"),
    ("there is an illegal dump behind the garages, old sofas and tyres", "garbage"),
    # a leaking hydrant or pipe that froze on the pavement is the water network's, not ice
    ("hidrantul de la colț curge de o săptămână și s-a făcut gheață pe trotuar", "water_sewer"),
    # ice on its own, a wasp nest, a bear at the bins: other
    ("podețul peste pârâu e numai gheață, nimeni nu a pus nisip", "other"),
    ("am găsit un cuib de viespi sub banca din curtea școlii", "other"),
    # traffic lights in the plural are still road signs
    ("semafoarele de la sensul giratoriu clipesc galben de aseară", "road_sign"),
    ("the pedestrian signal by the market stays red for ages", "road_sign"),
    # a lamp, whatever street it stands on ("because" is no bulb, a street named after an oak
    # is no tree)
    ("stâlpul de iluminat de pe Strada Stejarului s-a aplecat și nu mai luminează", "streetlight"),
    ("the lamp on our corner is off because the cable was cut", "streetlight"),
    # a branch about to fall, trees cut down
    ("o creangă crăpată atârnă deasupra trotuarului și stă să cadă", "green_space"),
    ("au tăiat doi tei bătrâni din fața blocului fără să ne întrebe", "green_space"),
    # built on public land / a cracked retaining wall
    ("un vecin și-a făcut garaj pe domeniul public, pe iarba dintre blocuri", "illegal_construction"),
    ("the retaining wall above the road has a crack that keeps growing", "other"),
    # a pothole named precisely, even by a bus driver; a cold bus is the bus service's
    ("sunt șofer de autobuz și pe Zizinului e un crater care ne rupe roțile", "pothole"),
    ("în 31 nu merge căldura deloc, călătorii tremură", "public_transport"),
    # cars keeping someone in, or parked on a pavement
    ("mi-a blocat cineva ieșirea din garaj de azi dimineață", "illegal_parking"),
    ("cars park on the pavement all along our street", "illegal_parking"),
    # the park is where it is, not cars parking
    ("the small park on our street has a broken swing", "green_space"),
    # machines that keep people awake
    ("o betonieră merge toată noaptea pe șantierul de vizavi", "noise"),
])
def test_a_reports_category_in_general_words(text, expected):
    assert category(fold_text(text)) == expected


@pytest.mark.parametrize("text, intent, expected", [
    # "cu nr." is "with number": no urbanism certificate in a status question
    ("dosarul cu nr. 55120 a fost trimis la arhitectul-șef?", "request_status", None),
    # the kind is asked for where the answer depends on it, not where an office or a status is
    ("la ce birou se depun cererile de parcare de reședință?", "office_info", None),
    ("ce acte îmi trebuie pentru parcarea de reședință?", "documents_info", "residential_parking"),
    # an id's prefix alone is not the kind named; the kind in words is
    ("CU 731/2025 mai e valabil?", "permit_verify", None),
    ("vreau să verific certificatului de urbanism CU 731/2025", "permit_verify", "urbanism_certificate"),
    # the kind named first is the one asked about
    ("what do I bring for the building permit? the urbanism certificate I already have", "documents_info", "building"),
    # building in other words: demolishing a shed, a roof, a construction authorisation
    ("am nevoie de autorizație de demolare pentru un șopron vechi", "permit_apply", "building"),
    ("we want to redo the roof of our house, how do we get the permit?", "permit_apply", "building"),
    ("I'd like to apply for a construction authorisation for a cabin", "permit_apply", "building"),
    # ... but a terrace or a shop's licence is none of the three kinds
    ("vreau autorizație pentru terasa din fața casei mele de vară", "permit_apply", None),
    # residential parking in other words; a capital "CU" as a noun
    ("cum obțin un loc de parcare la bloc cu abonament?", "permit_apply", "residential_parking"),
    ("trebuie să cer un CU pentru un teren din Stupini", "permit_apply", "urbanism_certificate"),
    ("the paper you need before building a house, how do I get it?", "permit_apply", "urbanism_certificate"),
])
def test_the_kind_of_permit_in_words_and_only_where_it_is_asked(text, intent, expected):
    from services.chatbot.nlu import SlotExtractor

    assert SlotExtractor().extract(text, intent).get("permit_type") == expected


@pytest.mark.parametrize("text, intent, expected", [
    ("vreau să plătesc impozitul pe autoutilitara de la firmă", "pay_tax", "vehicle"),
    ("how is the tax on a delivery van worked out?", "tax_info", "vehicle"),
    ("impozitul pe dubă se plătește la voi?", "pay_tax", "vehicle"),
    ("ce acte duc ca să scot mașina vândută din evidență?", "documents_info", "vehicle"),
    ("ce acte trebuie pentru un apartament nou?", "documents_info", None),   # no tax asked about
])
def test_a_van_or_a_truck_is_taxed_as_a_vehicle(text, intent, expected):
    from services.chatbot.nlu import SlotExtractor

    assert SlotExtractor().extract(text, intent).get("tax_type") == expected


from tests.test_chatbot import bot, parts  # noqa: E402,F401 - fixtures (the Brașov all-highways chatbot)


@pytest.mark.parametrize("text, street", [
    # a possessive is never a street (Strada Astra is not "noastră")
    ("pe strada noastră nu s-a mai măturat de o lună", None),
    ("on our street the bins were not emptied", None),
    # a street's whole name with no kind word and no cue, inside an answer or a sentence
    ("Poiana lui Stechil, da.", "Strada Poiana lui Stechil"),
    ("mulțumesc, Poarta Schei are acum iluminat nou", "Strada Poarta Schei"),
    # one long word in a street's genitive, alone
    ("gunoi aruncat zizinului colț cu toamnei", "Strada Zizinului"),
    # a crossing names the street after "intersecția" / "the corner of"
    ("semaforul de la intersecția Zizinului cu Toamnei nu merge", "Strada Zizinului"),
    ("the sign at the corner of Lanurilor fell", "Strada Lanurilor"),
    # a stop, not a street: the name after "stația ... de la" / "the shelter at"
    ("stația de autobuz de la Saturn are geamul spart", None),
    # but a stop sign is no stop: the street after it stays a street
    ("indicatorul de stop de pe Toamnei e îndoit", "Strada Toamnei"),
])
def test_streets_named_without_their_kind_and_words_that_are_no_street(bot, text, street):
    assert bot.nlu.slots.street(text)[0] == street


@pytest.mark.parametrize("text, number", [
    ("groapă pe Strada Lungă în dreptul numărului 18", "18"),
    ("groapă pe Strada Lungă vizavi de nr 18", None),              # across from it: not its address
    ("nu arde niciun bec pe Strada Lungă de la nr 18 până la 40", None),   # a stretch, not a house
    ("ține-ți pubela la Strada Lungă nr 18 bis", None),
])
def test_a_house_number_is_the_reported_places_own(bot, text, number):
    assert bot.nlu.slots.street(text)[1] == number


def test_the_street_of_a_report_whose_status_is_asked_is_read(bot):
    u = bot.understand("ce s-a întâmplat cu sesizarea 55102 despre groapa de pe Strada Zizinului?")
    assert u.intent == "request_status" and u.slots.get("street") == "Strada Zizinului", u


@pytest.mark.parametrize("text, expected", [
    ("33 din Stupini la ce oră pleacă dimineața?", "33"),
    ("what time is the last 23 from the hospital?", "23"),
    ("merg cu 16 până la gară, cât face?", "16"),
    ("la ce oră e ultima cursă a lui 35?", "35"),
    ("ies la 14 de la școală, ce autobuz prind spre casă?", None),     # a time, not a line
    ("autobuzul douăzeci și unu mai circulă noaptea?", "21"),           # said in words
    ("does bus number fifty-two run on Sundays?", "52"),
])
def test_a_line_said_as_residents_say_it(bot, text, expected):
    assert bot.understand(text).slots.get("line") == expected


def test_a_house_number_said_in_words(bot):
    assert bot.nlu.slots.street("strada lungă patruzeci și doi iese apă din asfalt") == ("Strada Lungă", "42")


def test_a_destinations_words_are_no_stop_and_the_airport_bus_is_a_line(bot):
    ex = bot.nlu.slots
    # "to Stadionul Tineretului" is where one goes; its last word alone is not a stop to board at
    assert ex.stop("which bus should I take to Stadionul Tineretului on Saturday?") != "Tineretului"
    assert ex.stop("is the airport bus running at 5 in the morning?") is None


def test_a_street_that_shares_a_districts_name_and_no_aleea_in_al(bot):
    ex = bot.nlu.slots
    assert ex.street("s-a spart un bec pe Florilor, lângă farmacie")[0] == "Strada Florilor"
    assert ex.street("stăm în Florilor de zece ani")[0] is None                 # in the district
    assert ex.street("ce acte trebuie pentru moștenirea al bunicului meu?")[0] is None


@pytest.mark.parametrize("text", ["the car light at the school crossing never turns green",
                                  "lumina de la trecere a rămas blocată pe roșu de o oră",
                                  "the light at the junction is stuck on red since this morning"])
def test_a_light_for_the_traffic_is_a_road_sign(text):
    assert category(fold_text(text)) == "road_sign"


@pytest.mark.parametrize("text", ["trotuarul s-a lăsat lângă o gură de scurgere și dalele sunt ridicate",
                                  "the pavement is broken since the water works last spring",
                                  "sunt gropi peste tot după lucrările la conductă"])
def test_the_works_or_the_drain_named_to_say_where_or_why_leave_a_pothole(text):
    assert category(fold_text(text)) == "pothole"


def test_a_permit_number_with_its_date_and_numbers_that_are_no_house(bot):
    from services.chatbot import references as R

    assert R.permit_id(fold_text("autorizația de construire nr. 2203/05.06.2024 e valabilă?")) == "2203/05.06.2024"
    ex = bot.nlu.slots
    assert ex.street("canalul e înfundat pe Strada Lungă lângă nr. 5? sau 7, nu mai știu")[1] is None
    assert ex.street("am așteptat în stație pe Strada Lungă 25 de minute")[1] is None


def test_a_country_is_no_street(bot):
    assert bot.nlu.slots.street("how much is the tax on a flat in Romania for a foreigner?")[0] is None
