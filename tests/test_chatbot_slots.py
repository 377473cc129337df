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
