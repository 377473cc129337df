"""The third part of the training set: the same intents in the words residents actually use.

A model trained on :mod:`services.chatbot.training`, :mod:`services.chatbot.phrasings` and
:mod:`services.chatbot.scenes` scored well on the development sets but generalised worse to a set
written apart: it had learnt the templates' *vocabulary* (a report says "groapă", "gunoi",
"iluminat"; an office question says "program", "adresa"). Real messages describe what the
writer sees ("the road is all broken up", "pute a hoit", "nu se vede nimic noaptea"), ask
about the town hall in their own terms ("can I just show up?", "aveți un email?"), and come
in registers the first sets lacked. This module adds, per intent and language:

* **everyday descriptions** of each report category (:data:`EVERYDAY`) with none of the
  lexicon's keywords, so the model learns "this is a report" from the shape of a complaint,
  not from a keyword;
* **registers** (:data:`T3`): the elderly formal letter ("Stimată doamnă primar, vă scriu în
  legătură cu..."), SMS-short, angry capitals (:func:`shout`), an expat's English, mixed
  Romanian/English;
* **indirect emergencies** (:data:`SIGNS`): a medical crisis described by its signs (a face
  that droops, a diabetic who is confused and sweating, a baby who swallowed a battery), people
  missing (a child who did not come home, a grandmother with dementia out in the cold), hazards
  inside homes with vulnerable people, each with **near misses** labelled with their real
  intent (a missing *cat*, a stove left on in an empty flat, a "killer" queue) so that
  recall does not cost false alarms.

Nothing here was copied from an evaluation file; names are generic or invented.
"""
from __future__ import annotations

import random

# What a resident sees, in words that are not the category lexicon's (nlu.CATEGORY_RULES).
EVERYDAY = {
    "ro": {
        "pothole": ["drumul e praf, numai denivelări", "s-a surpat asfaltul lângă bordură", "mi-am rupt roata într-un hârtop",
                    "trotuarul e numai crăpături", "s-a lăsat carosabilul", "dalele de pe trotuar sunt desprinse",
                    "e un crater în mijlocul străzii", "s-a rupt bordura și cad oamenii"],
        "streetlight": ["nu ard lămpile de trei nopți", "noaptea nu se vede nimic pe stradă", "e întuneric beznă seara",
                        "becurile de pe stâlpi sunt arse", "lumina de pe stradă pâlpâie toată noaptea"],
        "garbage": ["pute a hoit de o săptămână", "e un câine mort pe marginea drumului", "cineva a aruncat o canapea și un frigider",
                    "tomberoanele nu au fost golite de zece zile", "e plin de sticle și pungi peste tot", "mizerie și resturi de la renovare"],
        "illegal_parking": ["cineva și-a lăsat duba pe trecere", "nu putem ieși din curte din cauza unei mașini",
                            "mașinile stau pe trotuar și trecem pe carosabil cu căruciorul"],
        "green_space": ["buruienile au crescut de un metru", "un pom uscat se apleacă spre case", "leagănele de la locul de joacă sunt rupte", "nu a mai cosit nimeni între blocuri"],
        "road_sign": ["s-a șters vopseaua de pe trecere", "semaforul stă pe galben intermitent",
                      "oglinda din curbă e spartă"],
        "water_sewer": ["a ieșit apă din pământ și e baltă mare", "gura de scurgere e astupată și se face lac",
                        "miroase a canalizare în toată zona", "hidrantul curge de ieri"],
        "noise": ["vecinii dau cu flexul și bormașina la miezul nopții", "bubuie boxele de la terasă până la 3",
                  "nu putem dormi de la generatorul unei firme", "alarma unei mașini sună de ore întregi"],
        "illegal_construction": [ "ridică un etaj în plus fără aprobare",
                                 "se construiește o anexă pe spațiul verde", "au început să zidească pe trotuar"],
        "public_transport": ["adăpostul din stație e făcut țăndări",
                             "șoferul a trecut pe lângă stație fără să oprească", "automatul de bilete din stație nu merge"],
    },
    "en": {
        "pothole": ["the road is all broken up", "the tarmac has sunk near the kerb", "my tyre burst in a huge dip in the road",
                    "the footpath is cracked everywhere", "there's a crater in the middle of the road", "the curb is broken and people trip"],
        "streetlight": ["the lamps haven't come on for three nights", "you can't see a thing after dark",
                        "the light on the post keeps flickering all night"],
        "garbage": ["it stinks of something dead", "there's a dead dog by the road", "somebody dumped an old fridge and a couch",
                    "nobody has emptied the bins for ten days", "renovation junk left on the corner"],
        "illegal_parking": ["someone left a van on the crossing",
                            "we can't get out of our yard because of a car", "cars on the footpath so we walk in the road with the pram"],
        "green_space": ["the weeds are a metre high", "a dead tree is leaning towards the houses", "the swings on the playground are broken", "nobody has mowed between the blocks"],
        "road_sign": ["the crossing paint is totally gone",
                      "the lights are stuck on flashing amber", "the mirror on the bend is smashed"],
        "water_sewer": ["water is bubbling up out of the ground",
                        "the drain is clogged and it turns into a lake", "it smells of sewage round here", "the hydrant has been gushing since yesterday"],
        "noise": ["the neighbours are drilling and grinding at midnight", "the bar's speakers boom until 3 am",
                  "we can't sleep because of a company's generator", "a car alarm has been going for hours"],
        "illegal_construction": [ "they're adding an extra floor with no approval",
                                 "someone is putting up a shed on the green", "they started building on the pavement"],
        "public_transport": ["the shelter at the stop is smashed to bits",
                             "the driver went straight past the stop", "the ticket machine at the stop is broken"],
    },
}

STREETS = ["Strada Teilor", "str. Morii 14", "Bulevardul Unirii", "Aleea Castanilor", "strada Zorilor nr 7",
           "Calea Nouă 120", "bd. Libertății", "Strada Școlii 3", "str Viilor", "Strada Câmpului 45"]

# Registers: {cat} is an everyday description, {street} a street, {id} a reference, {permit_id} a permit,
# {line} a line, {stop} a stop, {n} a small number.
T3 = {
    "report_issue": {
        "ro": ["Stimată doamnă primar, vă scriu în legătură cu o problemă de pe {street}: {cat}. Vă rog respectuos să luați măsuri.",
               "Subsemnatul, locatar pe {street}, vă aduc la cunoștință că {cat}.",
               "{cat}, pe {street}. cine se ocupă?", "pe {street} {cat}", "{cat} de o lună pe {street}, rușine!",
               "iar {cat} la noi pe {street}", "vă rog frumos, {cat}, e pe {street}", "nu se mai poate, {cat} pe {street}",
               "buna, pe {street} {cat}, puteti trimite pe cineva?", "de când s-a făcut iarnă {cat} pe {street}",
               "Vă sesizez că {cat} în dreptul blocului nostru de pe {street}.", "{cat} chiar lângă stația de autobuz de pe {street}",
               "lângă semaforul de pe {street} {cat}", "la colțul străzii {street} {cat}"],
        "en": ["Dear Sir or Madam, I am writing about a problem on {street}: {cat}. I would be grateful if someone could look into it.",
               "hi, {cat} on {street}, can someone come", "{cat} on {street} for weeks now, ridiculous",
               "{cat}. {street}. please sort it", "just so you know, {cat} on {street}", "not again... {cat} on {street}",
               "we moved here from abroad and on {street} {cat}, who do we tell?", "{cat} right next to the bus stop on {street}",
               "near the traffic lights on {street} {cat}", "{cat} outside number {n} on {street}"],
    },
    "emergency": {
        "ro": ["{who} {sign}", "{who} {sign}, suntem pe {street}", "ajutor, {who} {sign}", "{who} {sign}, ce fac?",
               "vă rog, {who} {sign}", "nu știu ce să fac, {who} {sign}", "{sign_alone}", "{sign_alone}, {street}"],
        "en": ["{who} {sign}", "{who} {sign}, we're at {street}", "please help, {who} {sign}", "{who} {sign}, what do I do?",
               "{who} {sign} and I'm scared", "{sign_alone}", "{sign_alone}, {street}"],
    },
    "office_info": {
        "ro": ["până la ce oră lucrează casieria?", "ce zile aveți audiențe la primar?", "aveți un email unde pot trimite documente?",
               "la ce număr sun dacă vreau să vorbesc cu cei de la taxe?", "unde se depun actele la primărie, la ce ghișeu?",
               "lucrați și în pauza de masă?",
               "cum ajung la registratură, la ce etaj?", "Vă rog să-mi comunicați programul de lucru cu publicul al serviciului de urbanism.",
               "program azi?", "unde va gasesc?", "aveti fax sau email?", "suntei deschisi si vineri dupa-amiaza?",
               "care e numarul de la dispecerat primarie", "cu cine vorbesc la primarie despre asta, ce telefon?"],
        "en": ["what time does the cash desk close?",
               "is there an email address I can send documents to?", "where do I hand in papers in person?",
               "what floor is the planning department on?", "do you close for lunch?", "opening times pls",
               "how do I reach you by phone?", "where are you located exactly, I'm new in town", "are you open tomorrow morning?",
               "which window do I go to for local taxes?"],
    },
    "out_of_scope": {
        "ro": ["cum se prepară sarmalele?", "unde pot schimba valută la un curs bun?", "vreau să-mi fac pașaport, unde merg?",
               "cât costă biletul la telegondolă?", "când e următorul meci de hochei?", "hai să vorbim despre filme",
               "îmi recomanzi un dentist bun?",
               "unde fac o programare la permis auto?", "vreau să-mi reînnoiesc buletinul", "cât e cursul euro azi",
               "e adevărat că se închide fabrica?", "câți locuitori are orașul?", "unde îmi repar telefonul?",
               "ce facultate să aleg?", "cum obțin cetățenia română?", "îmi dai un număr de taxi?", "ce se mai aude cu prețul la benzină",
               "poți să-mi traduci o scrisoare?", "vreau să închiriez o sală pentru nuntă", "cine e cel mai bun medic de familie",
               "la ce oră se închide mall-ul?"],
        "en": ["can you recommend a good dentist?", "my phone screen is cracked, where can I fix it?", "how many people live here?",
               "where can I change money at a good rate?", "who will win the league this year?", "how do I renew my passport?",
               "what's the euro rate today?", "is it true the factory is closing?", "can you call me a taxi?",
               "how do I apply for Romanian citizenship?", "what time does the mall close?", "can you translate a letter for me?",
               "I want to rent a hall for a wedding", "what should I study at university?", "is the ski slope open?",
               "recommend a family doctor"],
    },
    "feedback": {
        "ro": ["botul ăsta e mai deștept decât funcționarii, sincer", "am așteptat 40 de minute la ghișeu, e inadmisibil",
               "mulțumiri echipei de la drumuri, au reparat în 2 zile!", "formularul online e încurcat, am renunțat la jumătate",
               "sunteți praf, nu răspunde nimeni la telefon", "băieții care au reparat becul au fost foarte politicoși",
               "propun să puneți mai multe bănci în parc", "ați răspuns foarte repede, felicitări",
               "funcționarii de la taxe au fost de mare ajutor", "aplicatia se blocheaza mereu", "coada de la casierie e o bătaie de joc",
               "ar trebui să aveți program și sâmbăta",
               "nu mi-a plăcut cum am fost tratat la registratură"],
        "en": ["this bot is smarter than the clerks, honestly", "I waited 40 minutes at the counter yesterday, unacceptable",
               "thanks to the road crew, fixed in two days!", "the new online form is confusing, I gave up halfway",
               "nobody ever answers your phone", "the guys who fixed our light were super polite", "you should put more benches in the park",
               "you answered really fast, kudos", "the tax staff were really helpful",
               "the app keeps crashing", "the queue at the cash desk is a joke", "suggestion: open on saturdays",
               "I didn't like how I was treated at the registry", "just wanted to say great job on the new park"],
    },
    "permit_apply": {
        "ro": ["aș vrea să-mi mansardez casa, ce pași sunt?", "am cumpărat un teren și vrem să construim, de unde începem?",
               "cum fac rost de un loc de parcare la bloc, plătit lunar?", "îmi trebuie CU-ul ca să vând terenul, cum îl cer?",
               "depun azi dosarul pentru autorizație, se poate online?",
               "vreau să închid balconul, îmi trebuie ceva de la voi?", "cum pot obține voie să construiesc o anexă?",
               "Subsemnata doresc să solicit eliberarea unei autorizații de construire pentru o locuință.",
               "pentru o extindere la casă ce cerere fac?", "cum aplic pt parcarea de reședință", "vreau abonament la parcarea din spatele blocului"],
        "en": ["we bought a plot and want to build, how do we start the permit thing?", "I'd like to convert my loft, what's the process?", "I need the planning certificate before I sell the land, how do I ask for it?",
               "can I submit my building permit application online?",
               "I want to enclose my balcony, do I need anything from you?", "how do I get permission to build an extension?",
               "I'd like to apply for a parking spot near my block"],
    },
    "permit_verify": {
        "ro": ["vecinul construiește și zice că are autorizația {permit_id}, puteți verifica?", "{permit_id} e o autorizație reală?",
               "certificatul meu {permit_id} mai e valabil sau trebuie reînnoit?", "pe panoul de la șantier scrie {permit_id}, există?", "constructorul zice că are {permit_id}, e adevărat?"],
        "en": ["is {permit_id} a real permit or is the contractor lying?", "the sign on the site says permit {permit_id}, can you confirm it exists?",
               "is my certificate {permit_id} still valid?",
               "please check permit {permit_id}", "does permit {permit_id} exist?"],
    },
    "request_status": {
        "ro": ["am reclamat acum 2 săptămâni, nr {id}, și tot nimic", "ați primit mesajul meu de săptămâna trecută? numărul era {id}",
               "ce mai face sesizarea mea de luna trecută?",
               "s-a ocupat cineva de {id}?", "mai aștept mult la {id}?", "ați trimis echipa la {id}?", "tot deschisă e {id}, de ce?"],
        "en": ["any progress on {id}? nobody came", "checking in on ticket {id}, has a crew been assigned?", "what's going on with {id}", "did anyone look at {id} yet?",
               "still waiting on {id}", "has a crew been sent for {id}?"],
    },
    "transport_schedule": {
        "ro": ["la ce oră e ultimul {line} de la {stop}?", "cât fac cu {line} de la {stop} până în centru?", "mai circulă {line} duminica?",
               "următorul din {stop}?", "primul {line} sâmbăta la ce oră e?",
               "{line} mai vine azi?", "cât mai am până vine {line}?"],
        "en": ["does the {line} still run on sundays?", "when's the last {line} from {stop}?", "next one from {stop} please",
               "how long does the {line} take from {stop} to the centre?",
               "is the {line} still coming today?", "what time is the {line} at {stop} in the morning?"],
    },
    "documents_info": {
        "ro": ["ce hârtii îmi cer la certificatul de urbanism?", "ce trebuie să aducă bunica pentru abonamentul de parcare?", "ce dosar fac pentru {permit}?",
               "cu ce acte vin la ghișeu pentru {permit}?"],
        "en": ["my grandmother wants to know what she needs to bring for the parking permit", "what papers for the planning certificate?",
               "what do I need to bring for {permit}?", "which documents for {permit}, do I need copies?"],
    },
    "thanks": {"ro": ["merci pentru tot", "mersi de ajutor", "mulțumesc, o seară bună", "mersi fain, ai fost de folos"],
               "en": ["cheers mate", "thanks a bunch", "thanks, that's sorted", "much obliged"]},
    "human_agent": {"ro": ["vreau să vorbesc cu cineva în carne și oase", "mă poate suna un angajat?", "dați-mi pe cineva de la primărie la telefon",
                           "vreau o persoană, nu calculatorul"],
                    "en": ["can a real employee ring me back?", "I want to speak to an actual person",
                           "put a staff member on please"]},
    "pay_tax": {"ro": ["vreau să plătesc amenda de la poliția locală online",
                       "pot achita aici taxa pe casă cu cardul?"],
                "en": ["can I pay the tax on my apartment by card here?"]},
    "tax_info": {"ro": ["cât am de dat pe mașină anul ăsta?"],
                 "en": [ "how much will I pay for my car this year?"]},
}

# Indirect emergencies: what is seen, not a name for it ("sign" after a person; "sign_alone" whole).
SIGNS = {
    "ro": {"sign": ["nu mai poate vorbi și i s-a strâmbat gura", "transpiră, e palid și zice că îi amorțește brațul stâng",
                    "are diabet și acum nu mai știe unde se află", "a căzut în baie și nu se poate ridica de o oră",
                    "a luat multe pastile și e confuz", "nu răspunde la ușă de ieri și are aragazul pornit",
                    "nu mai răspunde de ieri, stă singură și are 85 de ani", "a plecat de la școală și nu a ajuns acasă",
                    "a dispărut de acasă, are alzheimer și e în papuci", "e însărcinată și sângerează", "a înghițit o baterie",
                    "nu se mai trezește după petrecere", "e singur pe balcon și se cațără pe balustradă",
                    "a căzut prin gheață pe lac", "vomită și are febră mare, e bebeluș", "are o criză și nu-și mai revine",
                    "nu-și mai simte o parte a corpului", "s-a lovit la cap și acum vorbește aiurea"],
           "sign_alone": ["apa a intrat în casă până la genunchi și mama e în scaun cu rotile", "fostul mă amenință la ușă",
                          "cineva bate în ușă și urlă că mă omoară", "zăpada de pe acoperiș a căzut peste un om", "o fetiță s-a blocat în lift și plânge, nu mai are aer"]},
    "en": {"sign": ["can't speak properly and his face droops on one side", "is sweating, pale and says his left arm is numb",
                    "is diabetic and now confused and shaking", "fell in the bathroom and can't get up for an hour",
                    "took a lot of pills and is confused", "hasn't answered the door since yesterday and the stove is on",
                    "is 85, lives alone and hasn't answered since yesterday", "left school and never came home",
                    "wandered off, has dementia and is in slippers in the snow", "is pregnant and bleeding", "swallowed a battery",
                    "won't wake up after the party", "is alone on the balcony climbing the railing",
                    "fell through the ice on the lake", "is a baby, vomiting with a very high fever", "can't feel one side of her body",
                    "hit her head and is talking nonsense"],
           "sign_alone": ["water is knee-deep in the house and my mum is in a wheelchair", "my ex is at the door threatening me",
                          "someone is banging on my door screaming they'll kill me", "snow from the roof fell on a man"]},
}
WHO = {"ro": ["tata", "mama", "bunicul", "bunica", "vecina", "vecinul de la 2", "soțul meu", "soția mea", "copilul", "băiatul meu",
              "un bătrân", "prietenul meu", "fetița"],
       "en": ["my dad", "my mum", "grandpa", "my gran", "the lady next door", "my husband", "my wife", "our son", "my friend",
              "an old man", "the neighbour's kid", "my daughter"]}

# Near misses: the words of an indirect emergency in a message that is not one, with its real intent.
NEAR = {
    "ro": [("mi s-a pierdut pisica, a văzut-o cineva?", "out_of_scope"), ("am lăsat aragazul pornit? nu, stai, l-am oprit", "out_of_scope"),
           ("coada de la casierie te omoară", "feedback"), ("mor de foame, unde mănânc bine?", "out_of_scope"),
           ("bunica vrea să știe programul de la taxe", "office_info"), ("copiii se dau în leagăn în parc, e frumos", "out_of_scope"),
           ("a căzut tencuiala veche de pe gardul meu, nimeni lângă", "report_issue"), ("mi-a înghețat apa în conductă la garaj", "report_issue"),
           ("tata vrea să plătească impozitul pe mașină", "pay_tax"), ("bunicul a rămas fără curent de la Electrica", "out_of_scope"),
           ("mi-a luat foc inima când am văzut gunoaiele din parc", "report_issue"), ("am râs de am murit la statuia nouă", "out_of_scope")],
    "en": [("I lost my cat, has anyone seen her?", "out_of_scope"), ("did I leave the stove on? no, I turned it off", "out_of_scope"),
           ("the queue at the counter is killing me", "feedback"), ("I'm starving, where's good food?", "out_of_scope"),
           ("my gran wants to know your opening hours", "office_info"), ("I almost died laughing at the new statue", "out_of_scope"),
           ("some old plaster fell off my fence, nobody around", "report_issue"), ("my dad wants to pay his car tax", "pay_tax"),
           ("grandpa's power was cut by the supplier for not paying", "out_of_scope"), ("how many people live in the city", "out_of_scope")],
}


def shout(text: str) -> str:
    """The angry-capitals register."""
    return text.upper() + "!!!"


def rows(rng: random.Random, noisy, frame, refs, per_template: int = 4) -> list[tuple[str, str, str]]:
    """``(text, intent, lang)`` rows: every template of :data:`T3` ``per_template`` times with
    fillers, the indirect emergencies (:data:`SIGNS`) and the near misses (:data:`NEAR`), each
    written the citizens' way (``noisy``), framed (``frame``) and now and then shouted.
    ``refs`` is :mod:`services.chatbot.phrasings` (its reference formats)."""
    from services.chatbot.training import PERMIT_EN, PERMIT_RO

    out = []
    for intent, by_lang in T3.items():
        for lang, templates in by_lang.items():
            permits = PERMIT_RO if lang == "ro" else PERMIT_EN
            for tpl in templates:
                for _ in range(per_template):
                    cat = rng.choice(rng.choice(list(EVERYDAY[lang].values())))
                    text = tpl.format(cat=cat, street=rng.choice([rng.choice(STREETS), refs.street_ref(rng)]),
                                      id=refs.request_ref(rng), permit_id=refs.permit_ref(rng), line=refs.line_ref(rng),
                                      stop=rng.choice(refs.STOP_NAMES), n=rng.randint(1, 80),
                                      permit=rng.choice(rng.choice(list(permits.values()))),
                                      who=rng.choice(WHO[lang]), sign=rng.choice(SIGNS[lang]["sign"]),
                                      sign_alone=rng.choice(SIGNS[lang]["sign_alone"]))
                    text = frame(text, lang, rng) if intent != "emergency" else text
                    text = noisy(text, rng)
                    if rng.random() < 0.08:
                        text = shout(text)
                    out.append((text, intent, lang))
    return out + near_miss_rows(NEAR, rng, noisy)


def near_miss_rows(near: dict, rng: random.Random, noisy, times: int = 3) -> list[tuple[str, str, str]]:
    """``(text, intent, lang)`` rows of near misses ``{lang: [(text, intent)]}``, each ``times``
    times, written the citizens' way (``noisy``)."""
    return [(noisy(text, rng), intent, lang) for lang, pairs in near.items() for text, intent in pairs
            for _ in range(times)]
