"""What the assistant says, and what it knows of city-hall procedures (Romanian and English).

The knowledge base is small and written here on purpose: office hours and places, the documents
each permit needs (Law 50/1991 on building permits; the usual file for a residential parking
permit), local tax deadlines and discounts (Law 227/2015, the Fiscal Code: two instalments, 31
March and 30 September, a discount of up to 10 % set by the local council for paying the year in
full by 31 March, 1 % a month late-payment interest). Office data are those of the demo city
hall; a deployment edits them here. ``plain=True`` gives the short, plain variant of a message.
What the assistant says about a town hall depends on the city (:func:`town_hall`): Brașov's real
one, the demo town's synthetic one, elsewhere only what the city's data say.
"""
from __future__ import annotations

T = {
    "greeting": {"ro": "Bună ziua! Sunt asistentul primăriei. Vă pot ajuta cu sesizări, taxe, autorizații, "
                       "autobuze și informații despre program.",
                 "en": "Hello! I am the city hall's assistant. I can help with reports, taxes, permits, buses and "
                       "opening hours."},
    "goodbye": {"ro": "La revedere! O zi bună.", "en": "Goodbye! Have a nice day."},
    "thanks": {"ro": "Cu plăcere!", "en": "You're welcome!"},
    "feedback": {"ro": "Mulțumim pentru părere. Am transmis-o echipei.",
                 "en": "Thank you for your feedback. We passed it on to the team."},
    "out_of_scope": {"ro": "Îmi pare rău, nu vă pot ajuta cu asta. Pot să: înregistrez o sesizare, să vă spun stadiul "
                           "unei cereri, să vă ajut să plătiți taxe, să verific o autorizație sau să vă spun când vine "
                           "autobuzul.",
                     "en": "Sorry, I can't help with that. I can file a report, check a request, help you pay local "
                           "taxes, verify a permit or tell you when the next bus comes."},
    "clarify": {"ro": "Nu sunt sigur că am înțeles. Doriți să semnalați o problemă, să aflați stadiul unei cereri, "
                      "să plătiți o taxă sau altceva?",
                "en": "I'm not sure I understood. Would you like to report a problem, check a request, pay a tax, "
                      "or something else?"},
    "empty": {"ro": "Nu am primit niciun text. Cu ce vă pot ajuta?", "en": "I got no text. How can I help?"},
    "no_words": {"ro": "Vă rog să scrieți în cuvinte cu ce vă pot ajuta.", "en": "Please tell me in words how I can help."},
    "emergency": {"ro": "Dacă este o urgență, sunați ACUM la 112 (apel gratuit). Spuneți ce s-a întâmplat și adresa. "
                        "Nu închideți până nu vă spune operatorul.",
                  "en": "If this is an emergency, call 112 NOW (free). Say what happened and where. Stay on the line "
                        "until the operator tells you."},
    "cancelled": {"ro": "Bine, am anulat.", "en": "OK, cancelled."},
    "yes_or_no": {"ro": "Vă rog răspundeți cu „da” sau „nu”.", "en": "Please answer yes or no."},
    "confirm_report": {"ro": "Înregistrez sesizarea: {what}, {where}. Confirmați? (da/nu)",
                       "en": "I will file a report: {what} at {where}. Confirm? (yes/no)"},
    "confirm_pay": {"ro": "{tax}: {amount} lei. Plătiți acum? (da/nu)", "en": "{tax}: {amount} RON. Pay now? (yes/no)"},
    "confirm_permit": {"ro": "Încep cererea pentru {permit}. Confirmați? (da/nu)",
                       "en": "I'll start an application for a {permit}. Confirm? (yes/no)"},
    "reported": {"ro": "Am înregistrat sesizarea cu numărul {id}. Veți fi anunțat când se rezolvă.",
                 "en": "Your report was filed as number {id}. We'll tell you when it is solved."},
    "status_open": {"ro": "Cererea {id} ({service}) este în lucru. {note}", "en": "Request {id} ({service}) is open. {note}"},
    "status_closed": {"ro": "Cererea {id} ({service}) a fost rezolvată. {note}",
                      "en": "Request {id} ({service}) is closed. {note}"},
    "paid": {"ro": "Plata de {amount} lei a fost înregistrată. Chitanța: {receipt}… (se poate verifica oricând).",
             "en": "Your payment of {amount} RON is recorded. Receipt: {receipt}… (it can be verified at any time)."},
    "permit_started": {"ro": "Cererea a fost înregistrată cu numărul {id}.",
                       "en": "Your application is registered as number {id}."},
    "handoff": {"ro": "Vă transfer la un operator. Sunteți al {pos}-lea la rând.",
                "en": "I'm passing you to an operator. You are number {pos} in the queue."},
    "not_found": {"ro": "Nu am găsit {what}. Verificați numărul, vă rog.", "en": "I could not find {what}. Please check the number."},
    "service_down": {"ro": "Serviciul nu este disponibil acum. Încercați mai târziu sau cereți un operator.",
                     "en": "The service is not available right now. Please try later or ask for an operator."},
    "no_timetable": {"ro": "Nu am mersul autobuzelor pentru acest oraș.", "en": "I don't have the bus timetable for this city."},
    "no_departures": {"ro": "Nu mai sunt plecări azi din {stop} {line}.", "en": "No more departures today from {stop} {line}."},
    "line_not_here": {"ro": "Linia {line} nu oprește azi în stația {stop}.",
                      "en": "Line {line} does not stop at {stop} today."},
    "departures": {"ro": "Următoarele plecări din {stop}: {items}.", "en": "Next departures from {stop}: {items}."},
    "no_journey": {"ro": "Nu am găsit o legătură cu autobuzul de la {origin} la {destination} în următoarele ore.",
                   "en": "I found no bus connection from {origin} to {destination} in the next hours."},
    "first_journey": {"ro": "Acum nu mai circulă autobuze pe această legătură; prima, dimineață:",
                      "en": "No bus runs this way now; the first one in the morning:"},
    "place_unknown": {"ro": "Nu știu unde este „{place}”. Spuneți-mi o stație sau o stradă de acolo.",
                      "en": "I don't know where \"{place}\" is. Tell me a stop or a street there."},
    "line_departures": {"ro": "Linia {line} pleacă din {stop} la {times}{every}. Spuneți-mi stația și vă spun când "
                              "trece pe la dumneavoastră.",
                        "en": "Line {line} leaves {stop} at {times}{every}. Tell me your stop and I'll say when it "
                              "passes there."},
    "line_none_today": {"ro": "Linia {line} nu mai circulă azi.", "en": "Line {line} does not run any more today."},
}
PLAIN = {
    "greeting": {"ro": "Bună ziua! Cu ce vă ajut?", "en": "Hello! How can I help?"},
    "emergency": {"ro": "Sunați acum la 112.", "en": "Call 112 now."},
    "reported": {"ro": "Gata. Numărul sesizării: {id}.", "en": "Done. Your report number: {id}."},
    "clarify": {"ro": "Nu am înțeles. Spuneți altfel, vă rog.", "en": "I did not understand. Please say it another way."},
    "out_of_scope": {"ro": "Nu pot ajuta cu asta.", "en": "I can't help with that."},
}
ASK = {
    "category": {"ro": "Ce fel de problemă este? (de ex. groapă, iluminat, gunoi, parcare)",
                 "en": "What kind of problem is it? (e.g. pothole, street light, rubbish, parking)"},
    "street": {"ro": "Pe ce stradă este problema?", "en": "Which street is it on?"},
    "request_id": {"ro": "Care este numărul cererii?", "en": "What is the request number?"},
    "tax_type": {"ro": "Ce impozit: pe clădire, pe teren sau pe mașină?", "en": "Which tax: property, land or vehicle?"},
    "permit_type": {"ro": "Ce autorizație: de construire, certificat de urbanism sau parcare rezidențială?",
                    "en": "Which permit: building permit, urbanism certificate or residential parking?"},
    "permit_id": {"ro": "Care este numărul autorizației? (de ex. AC-2026-00042)",
                  "en": "What is the permit number? (e.g. AC-2026-00042)"},
    "stop": {"ro": "Din ce stație?", "en": "From which stop?"},
}
AGAIN = {"ro": "Nu am găsit asta. ", "en": "I couldn't find that. "}

CATEGORY = {"streetlight": ("iluminat public", "street light"), "pothole": ("groapă / drum stricat", "pothole"),
            "garbage": ("gunoi", "rubbish"), "illegal_parking": ("parcare neregulamentară", "illegal parking"),
            "green_space": ("spațiu verde", "green space"), "road_sign": ("semnalizare rutieră", "road sign"),
            "water_sewer": ("apă / canalizare", "water / sewer"), "noise": ("zgomot", "noise"),
            "illegal_construction": ("construcție neautorizată", "unauthorised construction"),
            "public_transport": ("transport public", "public transport"), "other": ("altă problemă", "other problem")}
TAX = {"property": ("Impozitul pe clădiri", "Property tax"), "land": ("Impozitul pe teren", "Land tax"),
       "vehicle": ("Impozitul pe mijloace de transport", "Vehicle tax")}
# what the demo city's assistant quotes when it has no assessment (bani)
TAX_QUOTE = {"property": 45_000, "land": 8_000, "vehicle": 18_000}
PERMIT = {"building": ("autorizația de construire", "building permit"),
          "urbanism_certificate": ("certificatul de urbanism", "urbanism certificate"),
          "residential_parking": ("abonamentul de parcare rezidențială", "residential parking permit")}
DOCUMENTS = {
    "building": {"ro": "Pentru autorizația de construire: cererea tip, certificatul de urbanism, dovada dreptului de "
                       "proprietate (extras de carte funciară), proiectul pentru autorizare (DTAC) semnat de un arhitect, "
                       "avizele cerute prin certificatul de urbanism și dovada plății taxei.",
                 "en": "For a building permit: the application form, the urbanism certificate, proof of ownership "
                       "(land-register extract), the permit design (DTAC) signed by an architect, the approvals the "
                       "urbanism certificate asks for, and proof of paying the fee."},
    "urbanism_certificate": {"ro": "Pentru certificatul de urbanism: cererea tip, planul de încadrare în zonă și planul de "
                                   "situație, extrasul de carte funciară și dovada plății taxei.",
                             "en": "For an urbanism certificate: the application form, the location and site plans, a "
                                   "land-register extract and proof of paying the fee."},
    "residential_parking": {"ro": "Pentru parcarea rezidențială: cererea, cartea de identitate cu domiciliul în zonă, "
                                  "certificatul de înmatriculare al mașinii și dovada că nu aveți datorii la bugetul local.",
                            "en": "For a residential parking permit: the form, your ID card with an address in the area, "
                                  "the car's registration certificate and proof that you owe no local taxes."},
    None: {"ro": "Spuneți-mi pentru ce: autorizație de construire, certificat de urbanism sau parcare rezidențială?",
           "en": "Tell me what for: building permit, urbanism certificate or residential parking?"},
}
# Town halls the assistant may describe. Brașov's is real (Primăria Municipiului Brașov); the
# synthetic demo town gets a synthetic one (a made-up address on one of its own streets and a
# phone number that is plainly not a number), so the demo never sends anyone to a real office.
BRASOV_HALL = {"name": ("Primăria Municipiului Brașov", "Brașov City Hall"),
               "address": ("Bulevardul Eroilor nr. 8", "8 Bulevardul Eroilor"), "phone": "0268 416 550",
               "hours": ("Program cu publicul: luni–joi 8:30–16:30, vineri 8:30–14:00. Ghișeele de taxe: luni–vineri "
                         "8:00–18:00 și sâmbăta 9:00–13:00.",
                         "Public hours: Monday–Thursday 8:30–16:30, Friday 8:30–14:00. Tax desks: Monday–Friday "
                         "8:00–18:00 and Saturday 9:00–13:00.")}
DEMO_HALL = {"name": ("Primăria orașului demonstrativ Valea Verde (fictivă)", "Valea Verde demo town hall (fictional)"),
             "address": ("Bulevardul Independenței nr. 1", "1 Bulevardul Independenței"), "phone": ("000 000 000 (număr fictiv)", "000 000 000 (not a real number)"),
             "hours": ("Program cu publicul: luni–vineri 9:00–17:00.", "Public hours: Monday–Friday 9:00–17:00.")}


def town_hall(city) -> dict | None:
    """What the assistant knows of ``city``'s town hall, or None when its data says nothing.

    Brașov: the real one. The synthetic demo town: its synthetic one. Any other city: the name,
    address and phone its OpenStreetMap data give (a ``town_hall`` POI's tags), nothing made up.
    """
    if city is None:
        return None
    from twin.text import fold

    name = getattr(city, "name", "") or ""
    if "synthetic" in name.lower() or fold(name).startswith("valeaverde"):
        return DEMO_HALL
    if fold(name) == "brasov":
        return BRASOV_HALL
    halls = [p for p in getattr(city, "pois", []) if p.kind == "town_hall"]
    if not halls:
        return None
    t = halls[0].tags or {}
    street = t.get("addr:street")
    addr = f"{street} nr. {t['addr:housenumber']}" if street and t.get("addr:housenumber") else street
    return {"name": (halls[0].name or "Primăria", halls[0].name or "City hall"),
            "address": (addr, addr) if addr else None, "phone": t.get("phone") or t.get("contact:phone"),
            "hours": None}


def office(lang: str, plain: bool = False, city=None) -> str:
    """Where the town hall is and when it is open, for ``city`` (see :func:`town_hall`)."""
    en = 1 if lang == "en" else 0
    hall = town_hall(city)
    if hall is None:
        place = getattr(city, "name", None)
        return (f"I don't have the town hall's details for {place or 'this city'}. Please check the city's website."
                if en else f"Nu am datele primăriei pentru {place or 'acest oraș'}. Vă rog verificați site-ul primăriei.")
    parts = [hall["name"][en] + (": " + hall["address"][en] if hall.get("address") else "") + "."]
    if hall.get("hours"):
        parts.append(hall["hours"][en] if not plain else hall["hours"][en].split(". ")[0].rstrip(".") + ".")
    if hall.get("phone"):
        phone = hall["phone"] if isinstance(hall["phone"], str) else hall["phone"][en]
        parts.append(("Phone: " if en else "Telefon: ") + phone + ".")
    return " ".join(parts)


FINE = {"ro": "Amenzile nu sunt taxe locale și nu le pot încasa aici. O amendă se plătește online pe ghiseul.ro, la "
              "ghișeele de taxe ale primăriei sau la bancă, cu numărul procesului-verbal. Dacă plătiți în 15 zile, "
              "plătiți jumătate din minimul amenzii.",
        "en": "Fines are not local taxes and I can't take them here. Pay a fine online at ghiseul.ro, at the city "
              "hall's tax desks or at a bank, quoting the ticket's number. Paid within 15 days, it costs half the "
              "minimum fine."}


def fine(lang: str, plain: bool = False) -> str:
    """How to pay a fine (kept apart from taxes and permits)."""
    text = FINE["en" if lang == "en" else "ro"]
    return text.split(". ")[1] + "." if plain else text


TAX_INFO = {"ro": "Impozitele locale se plătesc în două rate, până la 31 martie și 30 septembrie. Dacă plătiți tot "
                  "anul până la 31 martie, aveți 10% reducere. După termen se adaugă 1% pe lună.",
            "en": "Local taxes are paid in two instalments, by 31 March and 30 September. Pay the whole year by 31 "
                  "March and you get 10% off. After the deadline, 1% a month is added."}
TAX_HOW = {"property": {"ro": " Impozitul pe clădire depinde de valoarea clădirii.",
                        "en": " Property tax depends on the building's taxable value."},
           "land": {"ro": " Impozitul pe teren depinde de suprafață, zonă și folosință.",
                    "en": " Land tax depends on the area, the zone and the use of the land."},
           "vehicle": {"ro": " Impozitul auto depinde de capacitatea cilindrică (pe 200 cmc) și de norma de poluare; "
                             "mașinile electrice plătesc foarte puțin.",
                       "en": " Vehicle tax depends on the engine size (per 200 cm³) and the emission class; electric "
                             "cars pay very little."}}


# what to do while waiting for help, by the detector's kind (services.chatbot.emergency)
EMERGENCY_TIP = {
    "missing": ("Sunați la 112 acum, nu așteptați: spuneți vârsta, îmbrăcămintea și unde a fost văzut(ă) ultima dată.",
                "Call 112 now, do not wait: give the age, the clothes and where the person was last seen."),
    "fire": ("Ieșiți din clădire pe scări (nu cu liftul) și închideți ușile în urma dumneavoastră.",
             "Leave the building by the stairs (not the lift) and close the doors behind you."),
    "smoke": ("Ieșiți din clădire pe scări, aplecat sub fum, și închideți ușile.",
              "Get out by the stairs, keep low under the smoke and close the doors."),
    "gas": ("Nu aprindeți lumina și nu folosiți flacără sau telefonul în încăpere; deschideți geamurile și ieșiți.",
            "Do not switch lights on or off or use a flame; open the windows and get out, then call."),
    "electricity": ("Stați la cel puțin 10 metri de cablu și nu lăsați pe nimeni să se apropie.",
                    "Stay at least 10 metres away from the cable and keep others away."),
    "collapse": ("Îndepărtați-vă de clădire; nu intrați după alte persoane.",
                 "Move away from the structure; do not go in after others."),
    "trapped": ("Nu încercați să ridicați singur greutăți mari; spuneți operatorului unde este persoana.",
                "Do not try to lift heavy things alone; tell the operator exactly where the person is."),
    "violence": ("Puneți-vă în siguranță mai întâi; nu interveniți singur.",
                 "Get yourself safe first; do not step in alone."),
    "medical": ("Rămâneți lângă persoană; operatorul 112 vă spune ce să faceți până vine ambulanța.",
                "Stay with the person; the 112 operator will tell you what to do until the ambulance comes."),
}
EMERGENCY_MAYBE = ("Dacă cineva este în pericol acum, sunați la 112 (gratuit).",
                   "If anyone is in danger right now, call 112 (free).")


def emergency(kind: str, lang: str, plain: bool = False, maybe: bool = False) -> str:
    """112 guidance, the first words of the reply; ``maybe`` for an ambiguous alarm (one line).

    The number comes first in every variant, so a citizen who reads only the first words, or
    hears them from a screen reader, knows what to do."""
    en = 1 if lang == "en" else 0
    if maybe:
        return EMERGENCY_MAYBE[en]
    text = say("emergency", lang, plain)
    tip = EMERGENCY_TIP.get(kind)
    return f"{text} {tip[en]}" if tip and not plain else text


def for_screen_reader(text: str, lang: str) -> str:
    """``text`` as a screen reader reads it well: words instead of arrows, dashes and ellipses,
    "(da/nu)" spelled out, no emoji, one sentence per line."""
    import re

    en = lang == "en"
    t = text.replace("→", " to " if en else " spre ").replace("…", "").replace("„", "").replace("”", "")
    t = re.sub(r"(\d)\s*–\s*(\d)", r"\1 to \2" if en else r"\1 până la \2", t)
    t = t.replace("–", " to " if en else " până ")
    t = t.replace("(da/nu)", "Răspundeți da sau nu.").replace("(yes/no)", "Answer yes or no.")
    t = re.sub(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]", "", t)
    t = re.sub(r"(?<=[.!?])\s+(?=[A-ZĂÂÎȘȚ0-9])", "\n", t)
    return re.sub(r"[ \t]+", " ", t).strip()


def say(key: str, lang: str, plain: bool = False, **fields) -> str:
    table = PLAIN if plain and key in PLAIN else T
    return table[key]["en" if lang == "en" else "ro"].format(**fields).strip()


def ask(slot: str, lang: str, plain: bool = False, again: bool = False) -> str:
    lang = "en" if lang == "en" else "ro"
    return (AGAIN[lang] if again else "") + ASK[slot][lang]


def category_name(cat: str, lang: str) -> str:
    return CATEGORY.get(cat, CATEGORY["other"])[1 if lang == "en" else 0]


def tax_name(t: str, lang: str) -> str:
    return TAX[t][1 if lang == "en" else 0]


def permit_name(p: str, lang: str) -> str:
    return PERMIT[p][1 if lang == "en" else 0]


def tax_quote(t: str) -> int:
    return TAX_QUOTE[t]


def documents(permit_type, lang: str, plain: bool = False) -> str:
    return DOCUMENTS.get(permit_type, DOCUMENTS[None])["en" if lang == "en" else "ro"]


def tax_info(t, lang: str, plain: bool = False) -> str:
    lang = "en" if lang == "en" else "ro"
    text = TAX_INFO[lang]
    if plain:
        text = text.split(". ")[0] + "."
    return text + (TAX_HOW[t][lang] if t in TAX_HOW else "")


def permit_status(v: dict, lang: str, plain: bool = False) -> str:
    en = lang == "en"
    st = v["status"]
    if st == "unknown":
        return (f"There is no permit {v['permit_id']} in the registry." if en
                else f"Nu există autorizația {v['permit_id']} în registru.")
    words = {"valid": ("valid", "valabilă"), "revoked": ("revoked", "revocată"), "expired": ("expired", "expirată"),
             "not_yet_valid": ("not valid yet", "încă neintrată în vigoare")}[st]
    if en:
        return (f"Permit {v['permit_id']} is {words[0]}: {v['permit_type']}, issued by the {v['department']} "
                f"department, valid {v['valid_from']} to {v['valid_to']}.")
    return (f"Autorizația {v['permit_id']} este {words[1]}: {v['permit_type']}, emisă de {v['department']}, "
            f"valabilă {v['valid_from']} – {v['valid_to']}.")
