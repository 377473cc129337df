"""Emergencies and their near misses, composed from parts: the third part of the training set.

A few dozen emergency templates teach the intent model the *shape* of a handful of sentences
("help, there is a fire"), and a real citizen's emergency ("my son touched the electric box in
the park and he's unconscious") reads to it like a pothole report. Here an emergency is a
**scene** built from parts, so the model sees the words of danger in many combinations:

* *who* is in danger (a neighbour, a child, the driver, "my husband", "someone") and *what is
  happening to them* (not breathing, bleeding, trapped, shaking in the cold, threatened);
* *hazards* by kind — fire, smoke, gas, electricity, collapse, trapped, violence, accidents,
  wild animals (Brașov has bears in its streets), self-harm, water in a home with people who
  cannot get out;
* *where* (a street, a stop, a staircase, "in front of the block") and an *urgency frame*
  before and after ("ajutor!", "vă rog repede", "what do I do?", "call an ambulance").

And, just as important, the **near misses**: the same danger words in messages that are *not*
emergencies — a fallen tree that hurt nobody, smoke from a barbecue, an internet cable
hanging, a fire last year and a building permit now, a bear statue, "this queue is killing
me" — labelled with what they really are (report_issue, permit_apply, tax_info, feedback,
transport_schedule, out_of_scope), so the model learns the contrast, not the word.

Also here: more ways to give **feedback**, to ask for a **human**, to ask what
**documents** are needed, and **out-of-scope** questions close to the city hall's world
(utilities, doctors, landlords, banks) — the intents the first two template sets covered
thinly. Everything is written for the purpose; nothing was copied from an evaluation file.
:func:`rows` expands it all deterministically from one ``random.Random``.
"""
from __future__ import annotations

import random

WHO = {"ro": ["un om", "o femeie", "un bărbat", "un copil", "vecinul meu", "vecina de la etajul 3", "bunica", "soțul meu",
              "mama", "un bătrân", "cineva", "un muncitor", "un biciclist", "șoferul", "fetița mea", "un coleg", "tata",
              "o doamnă în vârstă", "un tânăr", "băiatul meu", "un pieton", "o elevă"],
       "en": ["a man", "a woman", "a child", "my neighbour", "the old lady upstairs", "my grandmother", "my husband",
              "my wife", "an old man", "someone", "a worker", "a cyclist", "the driver", "my daughter", "a colleague",
              "my dad", "a teenager", "my son", "a pedestrian", "a kid", "a guy"]}
CONDITION = {"ro": ["nu mai respiră", "a leșinat", "nu răspunde", "are convulsii", "sângerează tare", "nu se mai mișcă",
                    "are dureri mari în piept", "s-a înecat cu mâncarea", "a luat prea multe pastile", "e inconștient",
                    "nu-și mai revine", "i s-a umflat gâtul și respiră greu", "are fața strâmbă și nu poate vorbi",
                    "zace pe jos", "tremură de frig și nu se poate ridica", "s-a lovit la cap și curge sânge",
                    "a căzut de pe scară și nu se poate mișca", "s-a tăiat adânc la mână", "are buzele vinete",
                    "s-a intoxicat", "a căzut pe gheață și nu se mai ridică", "s-a prăbușit pe trotuar",
                    "a înghițit ceva și se sufocă", "a fost mușcat de un câine și sângerează"],
             "en": ["is not breathing", "fainted", "is not responding", "is having a seizure", "is bleeding a lot",
                    "isn't moving", "has bad chest pain", "is choking on food", "took too many pills", "is unconscious",
                    "won't wake up", "has a swollen throat and can hardly breathe", "has a drooping face and can't talk",
                    "is lying on the ground", "is shaking from the cold and can't get up", "hit his head and is bleeding",
                    "fell off a ladder and can't move", "cut himself badly", "has blue lips", "collapsed on the pavement",
                    "slipped on the ice and can't get up", "swallowed something and is choking",
                    "was bitten by a dog and is bleeding", "is having a stroke I think"]}
HAZARD = {
    "ro": {"fire": ["arde un apartament", "a luat foc o mașină", "iese fum gros din bloc", "e incendiu", "arde acoperișul casei",
                    "flăcări mari la subsol", "a luat foc tabloul electric", "arde o magazie lângă case", "e foc în scară",
                    "iese fum negru pe geam la vecini"],
           "gas": ["miroase puternic a gaz", "se simte gaz în toată scara", "s-a spart o țeavă de gaz", "butelia scoate gaz",
                   "sună detectorul de monoxid", "miroase a gaz și vecinul nu deschide"],
           "electricity": ["a căzut un cablu de curent pe stradă", "un fir electric atârnă și scoate scântei",
                           "s-a rupt un stâlp de curent peste mașini", "cineva s-a electrocutat", "cablul căzut e în baltă",
                           "firele de curent ating gardul de fier"],
           "collapse": ["s-a prăbușit un zid", "a căzut balconul de la etajul 2", "s-a surpat tavanul", "s-a dărâmat o casă veche",
                        "a căzut schela", "s-a prăbușit acoperișul peste o mașină", "a căzut o bucată din fațadă pe trotuar"],
           "trapped": ["un om e prins sub mașină", "sunt oameni blocați în lift și unul leșină", "șoferul e blocat în mașina răsturnată",
                       "un copil e prins sub un copac căzut", "un muncitor e prins sub dărâmături", "cineva e blocat într-o casă care arde"],
           "violence": ["se bat cu cuțite", "un bărbat își bate soția", "cineva amenință oamenii cu un cuțit", "m-a atacat cineva",
                        "cineva îmi sparge ușa", "mă urmărește un bărbat", "niște tineri bat un om", "e un om înarmat",
                        "cineva a intrat cu forța în casă"],
           "accident": ["o mașină a lovit un pieton", "accident grav cu răniți", "s-a răsturnat un autobuz", "un biciclist a fost lovit",
                        "o mașină a intrat în oameni", "un copil a fost lovit de o mașină", "două mașini s-au ciocnit și sunt răniți"],
           "animal": ["e un urs lângă blocuri", "un urs scotocește în tomberoane și sunt copii afară", "un mistreț a intrat în curtea școlii",
                      "o haită de câini a mușcat un copil", "câinii atacă un om"],
           "danger": ["vrea să se arunce de pe bloc", "nu mai vreau să trăiesc", "prietenul meu zice că se sinucide",
                      "un copil e singur pe pervazul geamului", "un copil a căzut în râu", "apa a intrat în casă și nu putem ieși",
                      "un om a căzut prin gheață pe lac"]},
    "en": {"fire": ["a flat is on fire", "a car caught fire", "thick smoke is coming out of the block", "there's a fire",
                    "the roof of the house is burning", "big flames in the basement", "the fuse box caught fire",
                    "a shed is burning next to the houses", "the stairwell is on fire", "black smoke from the neighbours' window"],
           "gas": ["there's a strong smell of gas", "gas smell all over the staircase", "a gas pipe burst", "the gas bottle is leaking",
                   "the carbon monoxide alarm is going off", "it smells of gas and the neighbour won't open"],
           "electricity": ["a power line is down in the street", "a wire is hanging and sparking", "an electricity pole fell on the cars",
                           "someone got electrocuted", "a live cable is lying in a puddle", "the power cables are touching the metal fence"],
           "collapse": ["a wall collapsed", "a balcony fell off", "the ceiling caved in", "an old house came down",
                        "the scaffolding collapsed", "the roof fell onto a car", "a piece of the facade fell on the pavement"],
           "trapped": ["someone is trapped under a car", "people are stuck in the lift and one is fainting",
                       "the driver is trapped in the overturned car", "a child is pinned under a fallen tree",
                       "a worker is trapped under rubble", "someone is stuck in a burning house"],
           "violence": ["people are fighting with knives", "a man is beating his wife", "someone is threatening people with a knife",
                        "I've been attacked", "someone is breaking my door", "a man is following me", "a gang is beating someone up",
                        "there's a man with a gun", "someone broke into the house"],
           "accident": ["a car hit a pedestrian", "bad accident with injured people", "a bus overturned", "a cyclist got hit",
                        "a car drove into people", "a child was hit by a car", "two cars crashed and people are hurt"],
           "animal": ["there's a bear by the blocks", "a bear is going through the bins and kids are outside",
                      "a wild boar got into the school yard", "a pack of dogs bit a child", "dogs are attacking a man"],
           "danger": ["he wants to jump off the roof", "I don't want to live anymore", "my friend says he'll kill himself",
                      "a toddler is alone on the window ledge", "a kid fell into the river", "water is coming into the house and we can't get out",
                      "someone fell through the ice on the lake"]}}
PLACE = {"ro": ["pe {street}", "în stația {stop}", "în fața blocului", "în parcul din {district}", "la etajul {n}", "în scara blocului",
                "pe trotuar", "lângă școală", "în autobuzul {line}", "la intersecție", "în {district}", "", "", ""],
         "en": ["on {street}", "at the {stop} stop", "in front of our block", "in the park in {district}", "on the {n}th floor",
                "in the stairwell", "on the pavement", "near the school", "on bus {line}", "at the crossroads", "in {district}", "", "", ""]}
BEFORE = {"ro": ["", "", "ajutor! ", "urgent: ", "vă rog repede, ", "AJUTOR ", "nu știu ce să fac, ", "repede ", "alo, ",
                 "vă rog ", "sos "],
          "en": ["", "", "help! ", "urgent: ", "please quick, ", "HELP ", "I don't know what to do, ", "quick ",
                 "hello? ", "please ", "sos "]}
AFTER = {"ro": ["", "", ", ce fac?", "!!!", ", veniți repede", ", chemați salvarea", ", vă rog ajutați-ne", ", sun la 112?",
                "!", ", e grav", ", ce să fac"],
         "en": ["", "", ", what do I do?", "!!!", ", come quickly", ", call an ambulance", ", please help us", ", should I call 112?",
                "!", ", it's bad", ", what should I do"]}

# danger words in messages that are not emergencies, labelled with what they are
NEAR = {
    "report_issue": {
        "ro": ["un copac căzut blochează trotuarul pe {street}, nu e nimeni rănit", "miroase a fum de la grătarele din parc în fiecare weekend",
               "atârnă un cablu de televiziune de pe stâlp pe {street}, nu e de curent", "stâlpul de iluminat de pe {street} e înclinat de mult",
               "capac de canal furat pe {street}, l-am semnalizat cu o cutie", "câinii fără stăpân latră toată noaptea în {district}",
               "e gheață pe trotuar pe {street}, să se pună sare", "s-a spart o țeavă de apă pe {street}, curge pe stradă",
               "s-a lăsat pavajul în fața porții pe {street}", "ard frunze în curte vecinii și e fum, nu se poate aerisi",
               "o creangă ruptă atârnă deasupra aleii în {district}", "clădirea veche de pe {street} are tencuiala căzută, ar trebui împrejmuită",
               "se ard resturi vegetale pe un teren viran la marginea orașului, doar fum", "un câine fără stăpân doarme în stație, nu deranjează dar e trist",
               "după ploaie e apă în pasajul pietonal, nu e nimeni în pericol", "a căzut un indicator pe trotuar pe {street}",
               "gropi uriașe pe {street}, o să se întâmple un accident", "semaforul de pe {street} nu merge, e pericol de accident",
               "mașini care circulă cu viteză pe {street}, puneți limitatoare", "ursul a răsturnat tomberoanele azi noapte, e gunoi peste tot"],
        "en": ["a fallen tree is blocking the pavement on {street}, nobody is hurt", "smoke from barbecues in the park every weekend",
               "a TV cable is hanging from the pole on {street}, it's not a power line", "the street light pole on {street} has been leaning for months",
               "someone stole a manhole cover on {street}, I marked it with a box", "stray dogs barking all night in {district}",
               "ice on the pavement on {street}, please grit it", "a water pipe burst on {street}, water running down the street",
               "the paving sank in front of the gate on {street}", "neighbours burning leaves and the smoke comes in our windows",
               "a broken branch hangs over the path in {district}", "the old building on {street} is shedding plaster, it should be fenced off",
               "garden waste burning on a vacant lot at the edge of town, just smoke", "after the rain the underpass is flooded, no one is in danger",
               "a road sign fell onto the pavement on {street}", "huge potholes on {street}, someone will have an accident",
               "the traffic light on {street} is out, it's an accident waiting to happen", "cars speeding on {street}, please add speed bumps",
               "a bear knocked the bins over last night, rubbish everywhere"]},
    "permit_apply": {"ro": ["după incendiul din 2023 vreau să ridic casa la loc, cum obțin autorizația",
                            "vreau să refac anexa distrusă de furtună acum doi ani, ce autorizație cer"],
                     "en": ["after the 2023 fire I want to build the house again, how do I get the permit",
                            "the shed was wrecked in a storm two years ago, how do I apply to rebuild it"]},
    "tax_info": {"ro": ["plătesc impozit pe o casă care a ars complet?", "m-a lovit damblaua când am văzut impozitul, cum se calculează?"],
                 "en": ["do I still pay building tax on a house that burned down", "the tax bill almost gave me a heart attack, how is it calculated"]},
    "transport_schedule": {"ro": ["a fost un accident ieri pe traseu, acum circulă normal {line}?", "mor de frig în stație, când vine {line}"],
                           "en": ["was there an accident? the {line} is late, when is the next one", "freezing at the stop, when does {line} come"]},
    "feedback": {"ro": ["botul ăsta mă omoară, nu înțelege nimic", "răspunsurile voastre sunt o bătaie de joc"],
                 "en": ["this bot is killing me, it understands nothing", "your service is a disaster, honestly"]},
    "out_of_scope": {"ro": ["factura la gaze a venit dublă, la cine reclam?", "cât costă o butelie de aragaz", "unde e cea mai apropiată benzinărie",
                            "vreau să-mi iau viața în mâini și să mă mut la munte, ce zici?"],
                     "en": ["who do I complain to about my gas bill", "where's the nearest gas station", "how much is a fire extinguisher",
                            "can't bear this weather, will it snow tomorrow?"]},
}

# the intents the first two template sets covered thinly, in more registers
MORE = {
    "feedback": {"ro": ["vreau să las o părere despre aplicație", "pagina de plată online se încarcă greu", "butoanele din aplicație sunt greu de găsit",
                        "scrisul e prea mic în aplicație", "echipa care a tăiat crengile a lucrat curat, mulțumim",
                        "mersi echipei de la salubritate, au venit imediat", "mi-a plăcut că am primit răspuns repede",
                        "nu sunt mulțumit, mi s-a închis sesizarea fără să se repare nimic", "aplicația s-a blocat de două ori",
                        "ar fi bine să puteți primi și poze", "serviciul de sesizări e mult mai bun ca anul trecut",
                        "dau 2 din 5, prea lent", "merge așa și așa, căutarea nu găsește nimic", "felicitări pentru noul site",
                        "nu-mi place că trebuie să scriu de trei ori același lucru", "bună treabă cu strada mea, s-a asfaltat frumos"],
                 "en": ["I'd like to leave a review of the app", "the online payment page takes ages to load", "the buttons in the app are hard to find",
                        "the font is too small in the app", "the crew that trimmed the trees did a tidy job, well done", "thanks to the bin crew, they came at once",
                        "loved getting an answer so fast", "not happy, my report was closed and nothing was fixed", "the app crashed twice",
                        "it would be nice to send photos too", "the reporting service is much better than last year", "2 out of 5, too slow",
                        "so-so, the search never finds anything", "congrats on the new website", "good job on my street, nicely resurfaced",
                        "I hate having to repeat myself three times", "suggestion: add a dark mode"]},
    "human_agent": {"ro": ["faceți-mi legătura cu registratura, vă rog", "vreau să vorbesc cu un funcționar în carne și oase",
                           "dați-mi un număr unde să vorbesc cu cineva", "poate prelua cineva de la primărie?", "mă transferați la un coleg?",
                           "prefer să discut cu o persoană", "vreau să vorbesc cu cineva de la taxe", "aș vrea să vorbesc cu un om, nu cu un program"],
                    "en": ["patch me through to the front desk", "can a real person take over?", "give me a number to talk to someone",
                           "transfer me to a colleague", "I'd prefer to talk to a person", "let me speak with someone from the tax office",
                           "is there a live agent?", "I want to talk to a human being, not a program"]},
    "documents_info": {"ro": ["ce acte îmi trebuie ca să închid rolul fiscal după ce am vândut casa", "ce documente depun ca să declar apartamentul cumpărat",
                              "e nevoie de planul cadastral pentru {permit}?", "ce hârtii cereți pentru înmatricularea mașinii la taxe",
                              "ce documente atașez la cererea pentru {permit}", "e nevoie de copie după buletin?"],
                       "en": ["which documents do I need to close my tax file after selling the flat", "what papers do I bring to register a newly bought flat for tax",
                              "is a cadastral plan required for {permit}", "what papers for registering my car with the tax office",
                              "which documents do I attach to the {permit} application", "do you need a copy of my ID?"]},
    "out_of_scope": {"ro": ["nu am semnal la telefonul mobil în tot cartierul", "cum mă programez la un control la dentist",
                            "proprietarul nu repară încălzirea în apartamentul închiriat", "cum schimb banca la care primesc pensia",
                            "unde îmi fac pașaportul", "vreau să-mi schimb permisul de conducere", "ce program are farmacia din colț",
                            "cum fac un credit la bancă", "de unde cumpăr bilete la meciul de hochei", "cum sun la furnizorul de curent",
                            "cine repară frigiderul", "unde votez duminică"],
                     "en": ["no mobile signal in the whole neighbourhood", "how do I book a dentist check-up",
                            "my landlord refuses to fix the heating in my rented flat, what are my rights", "how do I switch banks for my pension",
                            "where do I get a passport", "I want to exchange my driving licence", "what are the pharmacy's opening hours",
                            "how do I get a bank loan", "where can I buy tickets for the hockey game", "how do I call the electricity company",
                            "who repairs fridges", "where do I vote on sunday"]},
    "greeting": {"ro": ["sărumâna", "sărut mâna", "bună ziua, sunt nou în oraș", "salut, m-am mutat de curând în {district}"],
                 "en": ["hi, I'm new in town", "hello, just moved here", "good morning, first time using this"]},
}


def _fill(tpl: str, rng: random.Random, P) -> str:
    return tpl.format(street=P.street_ref(rng), stop=rng.choice(P.STOP_NAMES), district=rng.choice(P.DISTRICTS),
                      n=rng.randint(2, 10), line=P.line_ref(rng), permit=rng.choice(["autorizație de construire",
                      "certificat de urbanism", "building permit", "urbanism certificate"]))


def emergency_scene(lang: str, rng: random.Random, P) -> str:
    """One emergency: a person's condition or a hazard, somewhere, in an urgency frame."""
    if rng.random() < 0.4:
        core = f"{rng.choice(WHO[lang])} {rng.choice(CONDITION[lang])}"
    else:
        core = rng.choice(HAZARD[lang][rng.choice(list(HAZARD[lang]))])
    place = rng.choice(PLACE[lang])
    text = f"{core} {place}".strip() if place else core
    text = rng.choice(BEFORE[lang]) + text + rng.choice(AFTER[lang])
    return _fill(text, rng, P)


def rows(rng: random.Random, noisy, per_lang: int = 320, repeat: int = 3) -> list[tuple[str, str, str]]:
    """``(text, intent, lang)`` rows: ``per_lang`` emergency scenes per language, and each near
    miss and extra template ``repeat`` times, written the citizens' ways (``noisy``)."""
    from services.chatbot import phrasings as P

    out = []
    for lang in ("ro", "en"):
        for _ in range(per_lang):
            out.append((noisy(emergency_scene(lang, rng, P), rng), "emergency", lang))
    for table in (NEAR, MORE):
        for intent, by_lang in table.items():
            for lang, tpls in by_lang.items():
                for tpl in tpls:
                    for _ in range(repeat):
                        out.append((noisy(P.frame(_fill(tpl, rng, P), lang, rng), rng), intent, lang))
    return out
