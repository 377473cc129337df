"""More ways citizens say things: the second half of the training set.

:mod:`services.chatbot.training` began with a dozen short templates per intent; a model trained
only on them learns their *shapes* ("vreau să ... {tax}") and fails on a long, angry, misspelt
or half-English message. This module adds, per intent and language:

* **more templates** in other registers — SMS-short ("thx", "6-ul cand vine"), chatty and
  long, polite, angry, questions and statements, the words of fines, certificates, frequencies,
  feedback about the service, out-of-scope questions near the domain (utility bills, weather);
* **frames** (:data:`OPENERS`, :data:`CLOSERS`) wrapped around a template at random: a greeting
  and who the writer is before, a thank-you or an angry line after — so the model learns that
  they carry no intent and the intent is in the middle;
* **entities in many formats** (:func:`request_ref`, :func:`permit_ref`, :func:`line_ref`,
  :func:`street_ref`): "#50377", "nr. 50377", "SR-2026-004512"; "PR-08812", "CU 2210/2025";
  "5M", "6-ul", "linia 17"; "str. X", "b-dul X", "X nr 5 bl. 3 sc. A ap. 12".

Names are generic or invented (streets such as "Strada Teilor", stops such as "Parcul Central"):
the model learns words, not a city; slots are found by rules against the real city's names
(:mod:`services.chatbot.nlu`). Nothing here was copied from an evaluation file.
"""
from __future__ import annotations

import random

STREET_NAMES = ["Teilor", "Florilor", "Morii", "Zorilor", "Libertății", "Unirii", "Mihai Eminescu", "Avram Iancu",
                "Nicolae Bălcescu", "Primăverii", "Castanilor", "Stejarului", "Fântânii", "Gării", "Păcii",
                "Independenței", "Școlii", "Viilor", "Câmpului", "Oituz", "Horea", "Ion Creangă", "Cuza Vodă"]
STREET_KINDS_RO = ["strada ", "Strada ", "str. ", "str ", "Str.", "bulevardul ", "bd. ", "b-dul ", "bdul ",
                   "calea ", "cal. ", "aleea ", "al. ", ""]
DISTRICTS = ["Răcădău", "Schei", "Tractorul", "Noua", "Astra", "Centrul Vechi", "Bartolomeu", "Triaj",
             "Valea Cetății", "Florilor", "Craiter", "Dârste", "Stupini", "Centrul Civic", "Poiana"]
STOP_NAMES = ["Parcul Central", "Gara Mare", "Spitalul Județean", "Centrul Civic", "Stadionul Municipal",
              "Universitate", "Piața Mare", "Podul Vechi", "Fabrica de Bere", "Liceul de Arte", "Primăria",
              "Piața Agroalimentară", "Autogara", "Cimitirul Central"]


def street_ref(rng: random.Random) -> str:
    """A street as people write it: kind word or not, abbreviated or not, sometimes a number/block."""
    s = rng.choice(STREET_KINDS_RO) + rng.choice(STREET_NAMES)
    r = rng.random()
    if r < 0.25:
        s += f" nr {rng.randint(1, 120)}"
    elif r < 0.35:
        s += f" nr. {rng.randint(1, 60)}, bl. {rng.randint(1, 40)}, sc. {rng.choice('ABCD')}, ap. {rng.randint(1, 80)}"
    elif r < 0.45:
        s += f" {rng.randint(1, 99)}"
    return s


def request_ref(rng: random.Random) -> str:
    n = rng.randint(1, 99999)
    return rng.choice([str(n), f"#{n}", f"nr. {n}", f"nr {n}", f"no. {n}", f"SR-{rng.randint(2024, 2027)}-{n:06d}",
                       f"sr-{rng.randint(2024, 2027)}-{n:06d}", f"{n}/{rng.randint(2024, 2026)}"])


def permit_ref(rng: random.Random) -> str:
    return rng.choice([f"PR-{rng.randint(1, 99999):05d}", f"CU {rng.randint(1, 9999)}/{rng.randint(2019, 2026)}",
                       f"AC-{rng.randint(2020, 2027)}-{rng.randint(1, 9999)}", f"cu {rng.randint(1, 999)}/{rng.randint(2019, 2026)}",
                       f"AC {rng.randint(1, 999)}/{rng.randint(2019, 2026)}", f"pr-{rng.randint(1, 99999):05d}"])


def line_ref(rng: random.Random) -> str:
    n = rng.choice(["1", "2", "3", "4", "5", "5M", "6", "7", "10", "14", "16", "17", "17B", "20", "21", "23", "28",
                    "31", "33", "35", "36", "41", "52"])
    return rng.choice([n, n, f"{n}-ul", f"linia {n}", f"autobuzul {n}", f"nr {n}", f"{n}ul"])


OPENERS = {"ro": ["Bună ziua, ", "Buna ziua. ", "Salut, ", "Bună seara! ", "Vă rog, ", "Stimate domn/doamnă, ",
                  "Mă numesc Ana Popescu și locuiesc în {district} de 20 de ani. ", "Locuiesc în {district}. ",
                  "Am o întrebare: ", "Scuzați deranjul, ", "Hei, ", "Vă scriu pentru că ", "Alo, ", "Deci, ",
                  "Nu știu dacă e locul potrivit, dar ", "Vecinii mei și cu mine ne întrebăm: ",
                  "A treia oară vă scriu! ", "Sunt pensionar și nu mă pricep la calculator. "],
           "en": ["Hi, ", "Hello, ", "Good morning. ", "Dear city hall, ", "Hey there, ", "Quick question: ",
                  "Sorry to bother you, ", "I live in {district}. ", "I'm new in town and ", "Excuse me, ",
                  "So, ", "This is the third time I'm writing! ", "My name is John and I live in {district}. ",
                  "Not sure this is the right place, but "]}
CLOSERS = {"ro": [" Mulțumesc!", " Mulțumesc anticipat.", " Vă rog frumos.", " Aștept un răspuns.", "!!!", "?",
                  " E inadmisibil!", " Nu mai suportăm!", " Mersi", " Cu stimă, Maria.", " Repede, vă rog.",
                  " Sper să mă ajutați.", " :(", " :)"],
           "en": [" Thanks!", " Thank you in advance.", " Please.", " Cheers.", "!!!", "?", " This is unacceptable!",
                  " Thx", " Kind regards, Tom.", " ASAP please.", " Hope you can help.", " :(", " :)"]}

T2 = {
    "greeting": {"ro": ["neața", "bună dimineața!", "servus, ce faceți", "salutare!", "bună, e cineva aici?",
                        "alo, mă auziți?", "ziua bună", "hei, bună", "bună seara, am și eu o întrebare"],
                 "en": ["hiya", "yo", "hey hey", "good morning!", "hello, anyone there?", "hi, quick question",
                        "hey, can you help me", "hello again", "evening!"]},
    "goodbye": {"ro": ["gata, pa", "pa pa", "o zi bună în continuare", "asta a fost tot, la revedere", "seară bună",
                       "ne auzim, pa", "bine, pa", "am plecat, mulțumesc, pa"],
                "en": ["see ya", "bye", "that's all for now, bye", "ok bye", "gotta go", "later!", "cya",
                       "bye, have a nice evening", "ok that's it, goodbye"]},
    "thanks": {"ro": ["mersi mult!", "mulțam", "ms", "mersi fain", "mulțumesc frumos pentru răspuns", "ok mersi",
                      "super, mulțumesc", "mulțumesc, asta voiam să știu", "mersi de ajutor", "ok, mulțumesc",
                      "mulțumesc foarte mult", "vă mulțumesc pentru informații", "bine, mersi"],
               "en": ["thx", "thanks!", "cheers", "cheers, that helped", "thx a lot", "ty", "ok thanks",
                      "great, thanks", "thanks, that's what I needed", "thank u", "perfect, thank you",
                      "appreciate it", "ok cool thanks"]},
    "report_issue": {"ro": ["pe {street} e {cat} de o lună și nu face nimeni nimic", "{cat} la {street}",
                            "vă rog să trimiteți pe cineva, e {cat} pe {street}", "iar e {cat} în {district}",
                            "reclam {cat} pe {street}", "aș dori să semnalez {cat} lângă blocul meu, {street}",
                            "cine repară {cat}? e pe {street}", "sesizez {cat} în zona {district}",
                            "{cat}!!! pe {street}", "am o reclamație: {cat}", "avem {cat} în cartierul {district}",
                            "cum fac o sesizare pentru {cat}?", "unde raportez {cat}", "vreau să depun o sesizare",
                            "problema cu {cat} de pe {street} nu s-a rezolvat, vă rog interveniți",
                            "în {district}, pe {street}, e {cat}", "e {cat} chiar în fața casei mele"],
                     "en": ["{cat} on {street} for weeks and nobody does anything", "{cat} at {street}",
                            "please send someone, there's {cat} on {street}", "again {cat} in {district}",
                            "I'd like to report {cat} near my block on {street}", "who fixes {cat}? it's on {street}",
                            "{cat}!!! {street}", "we have {cat} in {district}", "how do I report {cat}?",
                            "where can I report {cat}", "I want to file a report", "report a problem",
                            "there's {cat} right outside my house", "can you log {cat} on {street}",
                            "{cat} in front of number {n} on {street}, please fix it"]},
    "request_status": {"ro": ["ce se mai aude cu sesizarea {id}?", "stadiu cerere {id}", "am numărul {id}, s-a rezolvat?",
                              "cererea mea {id} e tot deschisă?", "ați rezolvat reclamația {id}?",
                              "verificați vă rog sesizarea {id}", "de ce nu s-a rezolvat încă {id}",
                              "am depus acum o lună sesizarea {id} și nimic", "în ce stadiu e dosarul meu",
                              "ce s-a întâmplat cu reclamația mea?", "aveți vreo noutate la {id}?",
                              "am făcut o sesizare acum două săptămâni ({id}) și nu mi-a răspuns nimeni",
                              "am trimis o reclamație ({id}) și n-am primit niciun răspuns, ce se întâmplă?",
                              "v-am scris despre groapă, {id}, s-a făcut ceva?",
                              "s-a rezolvat problema raportată? {id}", "problema pe care am raportat-o s-a rezolvat?"],
                       "en": ["any update on {id}?", "what's happening with ticket {id}", "status {id}",
                              "has anyone looked at my complaint {id} yet", "is {id} fixed?",
                              "I reported something a month ago, ref {id}, still nothing", "check my request",
                              "what's the status of my complaint", "follow up on {id}", "is my report done yet",
                              "I sent a complaint ({id}) weeks ago and never heard back", "did anything happen with {id}?",
                              "did you ever fix what I reported, {id}", "you never fixed the thing from my report {id}?"]},
    "pay_tax": {"ro": ["cum plătesc amenda pentru parcare", "unde se plătește o amendă de circulație", "vreau să plătesc o amendă", "cum achit amenda primită",
                       "am primit o amendă de la poliția locală, unde o plătesc?", "plată amendă",
                       "vreau să achit {tax} acum", "plata {tax}", "pot plăti {tax} aici?", "plătesc online {tax}",
                       "aș vrea să-mi achit datoria la {tax}", "cum plătesc impozitele online",
                       "vreau să plătesc tot ce am de plată la primărie", "achit {tax} cu cardul"],
                "en": ["how do I pay a parking fine?", "pay a fine", "I got a ticket from the local police, where do "
                       "I pay it", "can I pay {tax} here", "pay {tax} now", "I'd like to pay the {tax}",
                       "settle my {tax}", "pay my local taxes online", "where can I pay my fine",
                       "I want to pay everything I owe"]},
    "tax_info": {"ro": ["până când am reducere la impozit?", "cât e {tax} pentru o mașină de 2000 cmc",
                        "cum se calculează {tax}", "e vreo penalitate dacă întârzii cu {tax}", "ce bonificație primesc",
                        "care e termenul la {tax} anul ăsta", "cât am de plată la {tax}", "când expiră termenul",
                        "cât e majorarea de întârziere", "pensionarii au reducere la impozit?",
                        "primesc ceva reducere dacă plătesc tot odată?", "merită să plătesc tot anul acum?"],
                 "en": ["is there a penalty if I'm late with the {tax}", "when's the deadline for local taxes",
                        "how much is {tax} for a 2000 cc car", "how is {tax} worked out", "do pensioners get a discount",
                        "how much do I owe for {tax}", "is there a discount for paying early", "late fee for {tax}?",
                        "any money off if I pay the whole year now?", "is it cheaper to pay {tax} in one go?"]},
    "permit_apply": {"ro": ["vreau să depun o cerere pentru {permit}", "cum obțin {permit}?", "am nevoie de {permit} pt o casă",
                            "solicit {permit}", "cerere {permit}", "vreau să construiesc o casă, cum cer autorizația?",
                            "vreau să fac o extindere, îmi trebuie autorizație", "cum fac rost de {permit}"],
                     "en": ["apply for {permit} please", "how do I get {permit}?", "I want to build a garage, how do I "
                            "get a permit", "can I apply for {permit} online", "start {permit} application",
                            "I'd like to request {permit}"]},
    "permit_verify": {"ro": ["{permit_id} mai e valabil?", "certificatul de urbanism {permit_id} mai e bun?",
                             "verificați vă rog autorizația {permit_id}", "vecinul zice că are autorizația {permit_id}, e adevărat?",
                             "e autentic certificatul {permit_id}", "autorizația {permit_id} e bună?",
                             "valabilitate {permit_id}", "a expirat {permit_id}?", "verificare certificat {permit_id}"],
                      "en": ["can you check if permit {permit_id} is still valid", "is certificate {permit_id} genuine?",
                             "has {permit_id} expired", "verify {permit_id}", "is the permit {permit_id} real",
                             "the builder says he has permit {permit_id}, is that true?", "check certificate {permit_id}"]},
    "transport_schedule": {"ro": ["cât de des trece {line} seara?", "la ce interval circulă {line}", "când vine {line} în stația {stop}",
                                  "la ce oră trece {line} prin {stop}", "{line} când vine?", "mersul {line} de la {stop}",
                                  "din 10 în 10 minute vine {line}?", "la cât timp trece {line}", "când pleacă primul {line}",
                                  "ultimul autobuz din {stop}", "ce autobuze opresc la {stop}", "orarul {line}",
                                  "cât mai am de așteptat la {stop}", "cum ajung de la {stop} la gară cu autobuzul"],
                           "en": ["how often does {line} run in the morning", "next {line} from {stop}?",
                                  "when does the {line} leave {stop}", "what buses stop at {stop}", "{line} times?",
                                  "first bus from {stop}", "last bus from {stop} tonight", "how long till the next bus at {stop}",
                                  "is {line} running today", "bus {line} schedule from {stop}"]},
    "office_info": {"ro": ["până la ce oră e deschis la primărie vinerea?", "care e nr de telefon al primăriei",
                           "unde e registratura", "program casierie", "când e deschis la taxe sâmbăta",
                           "pe ce stradă e primăria", "ce program aveți azi", "la ce ghișeu merg pentru taxe"],
                    "en": ["where exactly is the town hall", "is the tax office open on saturdays", "phone number please",
                           "what time do you close today", "how do I get to the city hall", "opening hours of the registry"]},
    "documents_info": {"ro": ["ce hârtii îmi trebuie pentru {permit}", "ce documente aduc pentru {permit}",
                              "ce acte îmi cer pt {permit}", "cât costă {permit} și ce acte trebuie",
                              "ce trebuie să depun la dosar pentru {permit}", "ce acte trebuie la ghișeu",
                              "cât costă {permit}?", "ce taxă se plătește pentru {permit}"],
                       "en": ["what paperwork do I need for {permit}", "which documents must I bring",
                              "what do I need to bring for {permit}", "documents for {permit}?",
                              "how much does {permit} cost and what papers do I need",
                              "what do I have to bring to get {permit}", "what do I need to have with me for {permit}",
                              "how much is {permit}?", "what's the fee for {permit}"]},
    "human_agent": {"ro": ["dați-mi un om, nu un robot", "pot vorbi cu un funcționar?", "vreau cu un om adevărat",
                           "nu înțelegi nimic, dă-mi un operator", "un operator vă rog", "vreau să sun la cineva",
                           "mă poate suna cineva de la primărie?", "vorbesc cu o persoană reală?",
                           "se poate să mă sune cineva?", "aș vrea să mă sune cineva", "sunați-mă, vă rog"],
                    "en": ["I'd rather talk to a real person", "put me through to an operator", "real human please",
                           "you don't understand, get me a person", "can someone call me back", "agent please", "could someone phone me", "call me please",
                           "is there a human I can talk to"]},
    "feedback": {"ro": ["aplicația voastră e super, bravo", "răspunsul a fost inutil", "nu sunt deloc mulțumit de cum s-a "
                        "rezolvat", "dau nota {n}", "echipa a reparat repede, mulțumim", "botul ăsta nu e bun de nimic",
                        "serviciul s-a îmbunătățit mult", "mi-a plăcut cât de repede ați răspuns", "foarte prost serviciu",
                        "aș sugera să aveți și program sâmbăta", "lucrarea a fost făcută de mântuială",
                        "sunt foarte mulțumită de cum s-a rezolvat sesizarea", "{n} stele", "nota {n} din 5",
                        "nu mă înțelegi deloc", "aplicația e o glumă proastă", "asistentul ăsta nu pricepe nimic"],
                 "en": ["this chatbot is really useful", "honestly your service is terrible", "{n} stars, quick fix",
                        "the crew did a great job fixing the road", "the bot is useless", "love the new app",
                        "the fix was sloppy", "I'd suggest longer opening hours", "great job, very quick",
                        "your answers were not helpful", "the service has improved a lot", "rating: {n}/5",
                        "you keep misunderstanding me", "this app is a joke", "the chatbot doesn't get what I say",
                        "very happy with how my report was handled", "worst experience ever"]},
    "out_of_scope": {"ro": ["cine câștigă campionatul anul ăsta", "ce vreme va fi mâine la Poiana",
                            "recomandă-mi un restaurant în centrul vechi", "cât e 2+2", "spune-mi o glumă",
                            "pot plăti factura la gaz aici?", "unde plătesc factura de curent", "cum schimb furnizorul de internet",
                            "ce filme sunt la mall", "cât costă o pâine", "unde e cel mai apropiat bancomat",
                            "vreau să-mi schimb buletinul", "cine e primarul Parisului", "scrie-mi o poezie"],
                     "en": ["what's 2+2", "write me a poem about cats", "who is the president of france",
                            "can I pay the gas bill here?", "where do I pay my electricity bill", "best pizza nearby",
                            "what's on at the cinema", "how do I change my internet provider", "tell me a story",
                            "what's the weather tomorrow", "where's the nearest atm", "translate hello to german"]},
    "emergency": {"ro": ["miroase a gaz în scară", "ajutor, arde!", "iese fum din apartament", "a căzut un cablu electric",
                         "un om e prins sub dărâmături", "vecinul a leșinat", "se bat în fața blocului",
                         "s-a prăbușit un zid", "copilul nu mai respiră", "accident grav, sunt răniți"],
                  "en": ["I smell gas in the stairwell", "help, fire!", "smoke coming from the flat", "a power line is down",
                         "someone is trapped under rubble", "my neighbour fainted", "people fighting outside with knives",
                         "a wall collapsed", "the child is not breathing", "bad crash, people injured"]},
}

# mixed Romanian/English: code-switching as in real messages (labelled by the main language)
MIXED = {"report_issue": ("ro", ["e un pothole mare pe {street}", "street light-ul nu merge pe {street}"]),
         "pay_tax": ("ro", ["vreau să fac pay la {tax}", "plata online pt taxes"]),
         "transport_schedule": ("ro", ["când vine bus-ul {line}", "next bus din {stop}?"]),
         "request_status": ("en", ["status la cererea {id} pls", "any update la sesizarea {id}"]),
         "thanks": ("ro", ["thanks mult", "mersi, thx"])}


def frame(text: str, lang: str, rng: random.Random) -> str:
    """``text`` with, sometimes, an opener before and a closer after (see the module docstring)."""
    r = rng.random()
    if r < 0.3:
        text = rng.choice(OPENERS[lang]).format(district=rng.choice(DISTRICTS)) + text
    elif r < 0.4:
        text = rng.choice(OPENERS[lang]).format(district=rng.choice(DISTRICTS)) + text[:1].lower() + text[1:]
    if rng.random() < 0.3:
        text = text.rstrip(".!? ") + rng.choice(CLOSERS[lang])
    return text
