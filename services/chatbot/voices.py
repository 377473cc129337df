"""The fourth part of the training set: the intents the independent sets found weakest, in more voices.

Two sets written apart from the chatbot (``tests/data/chatbot/heldout_2026_11_30a/``, ``…b/``)
showed *which kinds* of message the model still misread — not the messages themselves, which
stay out of the training data so that those sets remain honest development checks. The kinds:

* **getting somewhere** is a timetable question: "how do I get from A to B", "do I have to
  change?", "which line goes to X", "is there anything at night", "how often", a line's
  Sunday or holiday timetable (the word "program" pulled these towards office hours);
* **office questions** in the citizen's terms: an audience with the mayor, a counter's hours
  today, the Local Police's address or e-mail, "is the town hall still on …", a public holiday;
* **out of scope** that sounds like the town hall's world: tourist sights and their hours,
  ski slopes, airlines, private disputes, jobs, hypotheticals, recipes, a plumber;
* **documents** for civil-status papers and certificates (birth, marriage, death, name change,
  tax clearance), which the word "certificat" pulled towards a permit application;
* **verifying a permit** in every way of asking (is it active, expired, extended, issued by you,
  does it belong to that house) with numbers in many formats, kept apart from **the status of
  my own request** (a registration number, "where is my application") and from **applying**;
* **feedback about the service itself** (the bot, the form, the app, the language it answers
  in), **thanks** said at length, paying versus asking about a tax, complaints about a bus
  (a report, not feedback), and hazards where nobody is at risk (a report).

Entities are generic or drawn from the lists in :mod:`services.chatbot.phrasings`; nothing was
copied from an evaluation file.
"""
from __future__ import annotations

import random

PLACES = ["Răcădău", "Schei", "Tractorul", "Noua", "Astra", "Bartolomeu", "Triaj", "Valea Cetății", "Craiter",
          "Dârste", "Stupini", "Centrul Civic", "Poiana", "gară", "centru", "spital", "Coresi", "Carpaților",
          "aeroport", "Timișul de Sus", "Sânpetru", "Ghimbav", "zona industrială", "Livada Poștei", "Hărman"]
PLACES_EN = ["the station", "the old town", "the hospital", "the airport", "the university", "the mall", "Poiana",
             "Răcădău", "Tractorul", "Schei", "Noua", "Astra", "the bus terminal", "the stadium", "the Council Square"]
TIMES = ["6", "6 și jumătate", "5:40", "7", "22:30", "23", "miezul nopții", "dimineața devreme", "seara târziu", "8 fără un sfert"]
TIMES_EN = ["6am", "half past five", "7:15", "11pm", "midnight", "early morning", "late at night", "a quarter to eight"]
DAYS = ["sâmbătă", "duminică", "în weekend", "de Paște", "de 1 Mai", "de Crăciun", "în zilele de sărbătoare", "pe 1 decembrie",
        "în vacanță", "în timpul săptămânii"]
DAYS_EN = ["on Saturday", "on Sunday", "at the weekend", "on public holidays", "at Easter", "over Christmas",
           "on weekdays", "on bank holidays"]
SIGHTS = ["Biserica Neagră", "Turnul Alb", "telecabina de pe Tâmpa", "Castelul Bran", "Cetatea Râșnov", "Muzeul de Artă",
          "pârtia din Poiana", "grădina zoologică", "Aqua Park", "cinematograful din mall", "Peștera Valea Cetății",
          "Casa Mureșenilor", "Prima Școală Românească", "Sanctuarul de urși"]
SIGHTS_EN = ["the Black Church", "the White Tower", "the Tâmpa cable car", "Bran Castle", "Râșnov Fortress", "the art museum",
             "the ski slopes in Poiana", "the zoo", "the aqua park", "the cinema", "the bear sanctuary", "the Rope Street"]
DOCS_RO = ["certificatul de naștere", "certificatul de căsătorie", "certificatul de deces", "certificatul de atestare fiscală",
           "adeverința că nu am datorii", "un duplicat după certificatul de naștere", "extrasul de carte funciară",
           "o copie legalizată", "adeverința de rol fiscal", "cartea de identitate a copilului"]
DOCS_EN = ["a birth certificate", "a marriage certificate", "a death certificate", "a tax clearance certificate",
           "a copy of my birth certificate", "a duplicate marriage certificate", "a certificate that I owe no local taxes",
           "a certified copy"]


def permit_ref(rng: random.Random) -> str:
    """Permit numbers the way they appear on a site's sign or a citizen's paper."""
    n, y = rng.randint(1, 2999), rng.randint(2018, 2026)
    return rng.choice([f"{n}/{y}", f"nr. {n}/{y}", f"{n} din {y}", f"nr {n} din {y}", f"AC {n}/{y}", f"CU {n}/{y}",
                       f"AC-{n}-{y}", f"BV-AC-{rng.randint(100, 9999)}", f"{rng.randint(100, 9999)}-RP", f"RP-{rng.randint(100, 9999)}",
                       f"PR-{rng.randint(1, 99999):05d}", f"CU-{y}-{n}", str(n)])


def request_ref(rng: random.Random) -> str:
    """A registration number as quoted back: bare, with a cue, with a prefix."""
    n = rng.randint(1000, 120000)
    return rng.choice([str(n), f"nr. {n}", f"#{n}", f"ID {n}", f"{n}/{rng.randint(2025, 2026)}",
                       f"{rng.choice(['CP', 'SR', 'RQ', 'PT'])}-{rng.randint(2025, 2026)}-{rng.randint(100, 99999)}"])


T4 = {
    "transport_schedule": {
        "ro": ["cum ajung de la {place} la {place2}?", "vreau să ajung din {place} în {place2}, ce autobuz iau?",
               "ce linii merg de la {stop} până la {place2}?", "trebuie să schimb dacă merg de la {place} la {place2}?",
               "se poate ajunge direct, fără schimbare, din {place} la {stop}?", "care e cel mai rapid drum cu autobuzul până la {place2}?",
               "ce autobuz merge la {place2}?", "care linie trece prin {place}?", "{line} trece și prin {place}?",
               "opreste {line} la {stop}?", "din cât în cât trece {line}?", "cât de des vine {line} dimineața?",
               "la ce interval circulă {line} în weekend?", "ce program are {line} {day}?", "program {line} {day}",
               "orarul liniei {line} {day}, vă rog", "mai e vreun autobuz spre {place2} după {time}?",
               "circulă ceva noaptea din centru spre {place2}?", "am avion la {time}, e vreun autobuz spre aeroport din {stop}?",
               "la ce oră trece {line} pe la {stop}?", "{line} a fost deviat? nu l-am mai văzut pe la {place}",
               "fiica mea merge cu {line} la liceu, la ce oră e în {stop}?", "stau în {place} și lucrez în {place2}, cu ce merg?",
               "e vreo cursă spre {place2} {day}?", "primul autobuz din {place} spre centru la ce oră pleacă?",
               "am cărucior de copil, ce autobuz cu podea joasă merge în {place2}?", "de la {stop} la {place2} cât face autobuzul?",
               "unde schimb ca să ajung în {place2}?", "mai vine ceva în stația {stop} în seara asta?",
               "cu ce ajung la {place2} mâine la {time}?", "{line} circulă după program de sărbătoare azi?", "{line} are aceeași frecvență și vara?",
               "{line} mai trece prin {stop} după ora 22?", "ce autobuze opresc lângă {place2}?"],
        "en": ["how do I get from {place_en} to {place_en2} by bus?", "which bus goes to {place_en2}?",
               "do I need to change buses to get from {place_en} to {place_en2}?", "fastest way from {stop} to {place_en2}?",
               "is there a direct bus from {stop} to {place_en2}?", "does the {line} go through {place}?",
               "does the {line} stop at {stop}?", "how often does the {line} run?", "how frequent is the {line} {day_en}?",
               "what's the timetable of the {line} {day_en}?", "is there any bus to {place_en2} after {time_en}?",
               "anything running at night from the centre to {place_en2}?", "my flight leaves at {time_en}, is there an airport bus from {stop}?",
               "what time does the {line} pass {stop} in the morning?", "is the {line} on a diversion? haven't seen it on its usual street",
               "which bus to {place_en2} has room for a pram?", "where do I change to get to {place_en2}?",
               "any bus up to the mountains {day_en} for a walk?", "first bus from {place_en} in the morning?",
               "how long is the ride from {stop} to {place_en2}?", "how do I get to {place_en2} tomorrow at {time_en}?", "is the {line} on a holiday timetable today?",
               "does the {line} run less often in summer?", "does the {line} still call at {stop} after 10pm?"],
    },
    "office_info": {
        "ro": ["cum pot ajunge la o discuție cu primarul?", "cum mă programez la audiență la viceprimar?", "până la ce oră e deschisă casieria azi?",
               "la ce oră se închide ghișeul de taxe vinerea?", "care e adresa Poliției Locale?", "aveți adresa de e-mail a Poliției Locale?",
               "mă tot încurc, unde e acum primăria, tot pe bulevard?", "de 30 noiembrie lucrați sau e liber?",
               "până la ce oră primesc actele la evidența populației?", "la ce etaj e biroul de urbanism?",
               "la ce ghișeu depun declarația pentru mașina nouă?", "unde se află direcția de taxe și impozite?",
               "aveți program cu publicul și sâmbăta?", "ce telefon are registratura?", "la ce număr sun pentru relații cu publicul?",
               "unde pot depune o petiție în scris, la ce adresă?", "lucrează cineva la ghișee între sărbători?",
               "în ce clădire e serviciul de stare civilă?", "până la ce oră pot suna la dispecerat?",
               "unde e biroul de taxe locale și ce program are joia?", "cine se ocupă de autorizații la primărie, la ce etaj?",
               "unde e sediul Poliției Locale din {place}?", "e vreun punct de lucru al primăriei în {place}?"],
        "en": ["how can I get a meeting with the mayor?", "how do I book a meeting with the deputy mayor?",
               "what time does the cash desk close today?", "until when is the tax office open on Fridays?",
               "what's the address of the Local Police?", "do you have an e-mail address for the Local Police?",
               "is the town hall still in the same building downtown?", "are you working on the 1st of December?",
               "until what time do you take papers at the population registry?", "which floor is the urban planning office on?",
               "where is the counter for tax declarations?", "is anyone answering the phone after 4pm?",
               "what's the phone number of the registry office?", "where can I drop off a written petition?",
               "is there a town hall office in {place}?", "where do I go for civil status papers, which building?",
               "where's the local tax office and what are its hours on Thursday?", "who handles building permits at the town hall, which floor?"],
    },
    "out_of_scope": {
        "ro": ["la ce oră se deschide {sight}?", "{sight} e deschis lunea?", "cât costă intrarea la {sight}?",
               "merge {sight} iarna?", "ce pârtii sunt deschise azi?", "ce vreme va fi mâine?", "unde mănânc un papanaș bun?",
               "rețetă de cozonac, vă rog", "agenția de turism nu-mi returnează avansul, la ce instituție mă adresez?",
               "am o neînțelegere cu proprietarul pe chirie, ce fac?", "unde văd locuri de muncă în oraș?",
               "ce film rulează la cinema diseară?", "cunoașteți un electrician bun?", "unde e un bancomat în Schei?",
               "scriu un roman polițist, cum arată o secție de poliție pe dinăuntru?", "câți turiști vin pe an?",
               "unde se ține târgul de Crăciun anul ăsta?", "ce muzee sunt gratuite duminica?", "unde pot închiria schiuri?",
               "cine a câștigat meciul aseară?", "vreau să-mi schimb furnizorul de curent, cum fac?", "cât costă un taxi până la aeroport?",
               "ce spital are urgențe pediatrice? întreb pentru un proiect la școală", "cum se ajunge la Bran cu mașina?",
               "îmi recomandați un hotel ieftin?", "unde găsesc un veterinar deschis duminica?", "ce înseamnă numele orașului?",
               "cum se joacă șah?", "spune-mi o glumă",
               "care e programul de vizită la spitalul județean?", "vreau numărul de la Protecția Consumatorului",
               "unde depun CV-ul pentru un post la o firmă din oraș?", "ce bancă are cel mai mic comision?",
               "mi-a dispărut coletul de la curier, cu cine vorbesc?", "la ce oră e slujba de Crăciun la Biserica Neagră?",
               "ce concerte sunt în Piața Sfatului weekendul ăsta?"],
        "en": ["what time does {sight} open?", "is {sight} open on Mondays?", "how much is a ticket for {sight}?",
               "does {sight} run in winter?", "which ski runs are open today?", "what's the weather tomorrow?",
               "the travel agency keeps my deposit, which authority handles that?", "which cinema is showing the new film?",
               "my landlord keeps my deposit, what can I do?", "where do I find job ads in the city?",
               "where is a cash machine in the old town?", "I'm writing a thriller, what does a police station look like inside?",
               "where's the Christmas market this year?", "which museums are free on Sundays?", "where can I rent skis?",
               "who won the hockey game last night?", "how do I switch my electricity supplier?", "how much is a taxi to the airport?",
               "how do I drive to Bran from here?", "any cheap hotel you'd recommend?", "is there a vet open on Sunday?",
               "tell me a joke", "what does the city's name mean?", "recipe for papanași please",
               "what are the visiting hours at the county hospital?", "what's the phone number of the consumer protection office?",
               "the courier lost my parcel, who do I talk to?", "which bank has the lowest fees?",
               "any concerts in the square this weekend?", "is there a good gym near the old town?"],
    },
    "documents_info": {
        "ro": ["cum obțin {doc_ro}?", "ce acte îmi trebuie pentru {doc_ro}?", "nu mai găsesc {doc_ro}, ce fac să am altul?",
               "pot cere {doc_ro} online sau trebuie să vin?", "cât durează să primesc {doc_ro}?",
               "ce acte trebuie pentru înregistrarea nașterii copilului?", "ce documente duc ca să declar un deces?",
               "cum îmi schimb numele în acte după căsătorie?", "ce trebuie să depun pentru scutirea de impozit ca pensionar?",
               "trebuie să legalizez copia după buletin pentru dosar?",
               "ce hârtii îmi cere notarul de la primărie pentru vânzarea casei?", "cu ce acte vin să-mi declar mașina nouă?",
               "ce documente sunt necesare pentru ajutorul de încălzire?", "de ce acte am nevoie ca să mă căsătoresc la starea civilă?",
               "bunica a decedat la spital, ce acte trebuie pentru certificat și înmormântare?"],
        "en": ["how do I get {doc_en}?", "what do I need to bring for {doc_en}?", "I lost {doc_en}, how do I get a new one?",
               "can I request {doc_en} online?", "how long does it take to get {doc_en}?",
               "what documents do I need to register my baby's birth?", "what papers are needed to register a death?",
               "how do I change my surname on my documents after the wedding?", "what do I submit to get the pensioner discount on my tax?",
               "must the ID copy be certified for the application file?",
               "what papers does the notary need from the town hall to sell the house?", "which documents to register my new car for tax?",
               "what do I need to get married at the registry office?"],
    },
    "permit_verify": {
        "ro": ["autorizația {pid} e activă?", "mi-au dat amendă deși am abonament {pid}, mai e valabil?", "s-a prelungit autorizația {pid}?",
               "a expirat autorizația mea de construire {pid}?", "puteți confirma că {pid} e emisă de primărie?",
               "pe gardul șantierului e lipită autorizația {pid}, e în regulă?", "vecinii ridică un bloc, pe afiș e autorizația {pid}, o puteți verifica?",
               "autorizația {pid} e pentru casa de pe {street}?", "cum verific dacă o autorizație de construire e autentică?",
               "pe {street} se toarnă fundația pentru ceva mare, autorizația {pid} e bună?", "certificatul de urbanism {pid} mai e bun?",
               "abonamentul meu de reședință {pid} a expirat sau nu?", "e valid abonamentul de parcare {pid}?",
               "vă rog să verificați autorizația {pid}", "constructorul a pus un afiș cu {pid}, chiar există?"],
        "en": ["is permit {pid} still active?", "got fined although I hold permit {pid}, is it still in force?", "was permit {pid} extended?",
               "has my building permit {pid} expired?", "can you confirm permit {pid} was issued by the city?",
               "the site board says permit {pid}, is it genuine?", "does permit {pid} belong to the house on {street}?",
               "how can I check whether a building permit is legit?", "please check the status of permit {pid}",
               "they're building next door and the sign says {pid}, can you verify it?", "is planning certificate {pid} still good?",
               "can you look up permit {pid}?"],
    },
    "request_status": {
        "ro": ["unde a ajuns cererea {rid}?", "de trei săptămâni aștept răspuns la cererea de certificat, am numărul {rid}",
               "s-a rezolvat petiția mea {rid}?", "aș dori să aflu în ce stadiu e cererea mea {rid} pentru parcare",
               "pot urmări online ce se întâmplă cu reclamațiile mele?", "e a patra oară când scriu despre gunoi, aveți numărul {rid}, răspundeți odată!",
               "cu sesizarea {rid} despre groapă ce s-a mai întâmplat?", "ce se întâmplă cu reclamația {rid}? tot e zgomot",
               "cererea de autorizație {rid} a fost aprobată?", "mi-ați dat numărul {rid} acum două săptămâni, s-a mișcat ceva?",
               "vreau un răspuns la petiția {rid} din luna trecută", "nu am primit niciun răspuns la {rid}, e normal?",
               "se mai uită cineva la cererile depuse? a mea apare tot în lucru de o lună", "am reclamat ceva anul trecut, s-a închis dosarul?",
               "am sesizat o groapă luna trecută, s-a reparat? nu mai țin minte numărul", "la ce stadiu e sesizarea mea despre gunoi?",
               "sesizarea mea apare rezolvată dar nu s-a făcut nimic, de ce?", "mi-ați închis sesizarea fără să faceți nimic?"],
        "en": ["where is my application {rid} at?", "has my request {rid} been processed yet?", "any news on petition {rid}?",
               "I applied for the parking permit, reference {rid}, is it approved?", "can I track my complaints online somewhere?",
               "fourth message about the same thing, you have it as {rid}, answer please", "following up on my noise complaint {rid}, still loud",
               "was anyone sent out for {rid}? it's been weeks", "what's happening with case {rid}?",
               "you gave me number {rid} two weeks ago, any progress?",
               "I reported a broken light a while ago, was it done? I lost the number", "is anyone even reading the requests people file?",
               "my complaint from last year, was it ever closed?", "did you close my report without doing anything?",
               "my report shows as resolved but nothing was done, why?"],
    },
    "feedback": {
        "ro": ["asistentul ăsta nu citește ce scriu, îmi dă răspunsuri de-a gata", "de fiecare dată mă trimiteți pe site, nu mă ajută",
               "chatul nu ține minte limba în care vorbesc", "câmpul de telefon din formular nu acceptă +40",
               "am primit informații greșite de la asistent despre program și am venit degeaba",
               "lipsește o variantă a site-ului pentru nevăzători", "mersi pentru confirmarea pe email, dar ar fi util și un SMS",
               "pagina de plăți se încarcă greu pe telefon", "e o bătaie de joc să vorbesc cu un program de calculator",
               "bravo pentru harta cu sesizări, e foarte utilă", "cel mai bun serviciu online al primăriei de până acum, 5 stele",
               "propunere: notificări pe SMS când se rezolvă sesizarea", "site-ul nou e greu de folosit pentru bătrâni",
               "ar trebui să puteți plăti și cu Apple Pay", "de ce mă întrebați de trei ori același lucru?",
               "robotul vostru nu știe nimic, pierd vremea", "ar fi bine să primesc și pe mail confirmarea, nu doar pe ecran",
               "îmi răspunde în altă limbă decât scriu, reparați", "bună inițiativa cu chatul, dar e lent",
               "super că se pot trimite poze cu sesizarea, bravo", "formularul nou de sesizări e mult mai rapid decât cel vechi, bravo",
               "asistentul a înțeles greșit de două ori ce am scris", "m-ați ajutat mult data trecută, mulțumiri echipei"],
        "en": ["this assistant just pastes canned answers, doesn't read my question", "every time you send me to the website, useless",
               "the chat forgets which language I'm using", "the phone field in the form rejects +40 numbers",
               "your assistant told me the wrong opening hours and I came for nothing", "no accessible version for blind users",
               "thanks for the email receipt, an SMS would be handy too", "the payment page is painfully slow on mobile",
               "talking to a computer program about my taxes is insulting", "kudos for the map of reports, really useful",
               "best online service the city has had, five stars", "suggestion: text me when my report is fixed",
               "why does the bot ask me the same thing three times?", "your robot knows nothing, waste of time",
               "it replies in a different language than I type in, please fix", "nice idea this chat, but slow",
               "really like reporting stuff from my phone, great job",
               "attaching photos to a report is brilliant, well done", "the new report form is so much quicker than the old one, nice",
               "the assistant misread my question twice, not impressed", "the confirmation email never arrived, please fix your system"],
    },
    "thanks": {"ro": ["ai fost de mare ajutor, mulțumesc", "mulțumesc, mi-ați rezolvat problema", "mulțumesc, ești un înger", "mulțumesc din suflet", "mersi mult, acum știu ce am de făcut", "mulțumesc, robotelule, m-ai lămurit", "vă mulțumesc, ați fost foarte amabili", "mulțumesc pentru lămuriri", "mersi, m-ai scos din încurcătură", "vă mulțumesc frumos pentru timpul acordat",
                      "mulțumesc mult, m-ați ajutat enorm", "mersi frumos, exact asta voiam să știu", "mulțam"],
               "en": ["thanks heaps, that cleared it up", "that helped a lot, thank you", "appreciate it, cheers", "legend, thanks", "thank you, sorted", "thanks, now I understand", "cheers, super helpful bot", "many thanks for explaining", "brilliant, thank you kindly", "thank you for your patience",
                      "cheers, exactly what I needed", "thanks so much, much appreciated", "ta"]},
    "goodbye": {"ro": ["ciao", "pa pa", "gata, pa", "o zi bună, pa"], "en": ["ciao", "bye now", "see ya", "that's all, bye"]},
    "human_agent": {"ro": ["există vreun om real cu care să vorbesc? e ceva complicat cu o moștenire", "robotul nu mă ajută, vreau un funcționar", "aș vrea să discut cu o persoană reală de la registratură", "nu vreau robot, dați-mi un om",
                           "vreau să vorbesc cu un angajat, nu cu calculatorul", "puteți să mă treceți la un operator?"],
                    "en": ["is there a person I can chat with? my case is complicated", "this needs a human, not a bot", "I'd rather talk to a member of staff than a program", "get me a real person please",
                           "can I talk to someone at the office instead of a bot?"]},
    "pay_tax": {"ro": ["am datorii la {tax} din anii trecuți, vreau să le achit acum", "achit {tax} cu cardul, ce trebuie să completez?",
                       "vreau să achit {tax} pe anul ăsta", "plata impozitului auto: unde pun seria de șasiu?",
                       "hai să plătim {tax}, e scump dar trebuie"],
                "en": ["settling {tax} by card, which fields do I fill in?", "I owe back {tax}, how do I pay it?",
                       "let's get it over with: pay {tax}", "I want to settle my {tax} for this year"]},
    "tax_info": {"ro": ["hibridele au scutire de impozit?", "cât e taxa pe un teren extravilan?",
                        "pot vedea online suma de plată la impozite?", "ce sunt penalitățile de întârziere de pe decizie?",
                        "când e termenul pentru {tax}?", "am reducere la {tax} dacă plătesc tot acum?",
                        "cum se calculează impozitul pe o clădire folosită și ca birou?", "cât plătesc pe o garsonieră moștenită?",
                        "dacă am uzufruct pe casă, cine plătește impozitul?", "de ce a crescut impozitul pe casă anul ăsta?"],
                 "en": ["are hybrids exempt from the car tax?", "how is tax on land outside the built-up area worked out?",
                        "can I see my balance of local taxes online?", "what are the late-payment penalties on my statement?",
                        "when is {tax} due?", "is there a discount if I pay {tax} in full now?",
                        "how is a flat used partly as an office taxed?", "who pays the tax on a flat held in joint ownership?",
                        "why did my house tax go up this year?"]},
    "permit_apply": {"ro": ["vreau aviz pentru o terasă în fața cafenelei, unde depun?", "vreau să închid o bandă de drum pentru o macara, ce aprobare îmi trebuie?",
                            "vreau aviz de amplasare pentru un chioșc de flori", "vreau să ridic un zid de sprijin în curte, e nevoie de autorizație?",
                            "vreau să transform podul casei în locuință, ce cer?", "tocmai m-am mutat pe {street}, cum primesc abonament de parcare la bloc?",
                            "vreau să construiesc o cabană pe terenul din {place}, de unde încep?", "autorizație pentru un eveniment în piață, unde aplic?", "aș vrea autorizație pentru extinderea casei, cum o solicit?",
                            "cer certificat de urbanism pentru un teren, cum fac cererea?", "vreau aviz pentru o firmă luminoasă pe fațadă"],
                     "en": ["I want a permit for a summer terrace outside my café, where do I apply?",
                            "I need approval to close a lane for a crane, where do I ask?", "do I need permission for a retaining wall in my garden?",
                            "just moved to {street}, how do I get a resident parking pass?", "turning the loft into a bedroom, which approval do I need?",
                            "kiosk on the square for the summer, which permit?", "I'd like to apply for a building permit for a garage, what do I submit?",
                            "how do I apply for a planning certificate for my plot?"]},
    "report_issue": {"ro": ["{line} n-a mai trecut deloc dimineață, am stat 45 de minute în frig", "șoferul de pe {line} a închis ușile în nasul unei bătrâne",
                            "în {line} e frig ca afară, caloriferele nu merg", "șoferul de pe {line} fumează la volan",
                            "s-a spart geamul de la adăpostul din stația {stop}", "un TIR stă parcat în stația {stop} de dimineață",
                            "toboganul de la locul de joacă din {place} are o placă ruptă, colț ascuțit",
                            "cineva a descărcat resturi de construcții pe câmp lângă {place}", "câinii comunitari din {place} latră și sar la bicicliști",
                            "au mâzgălit cu spray statuia din {place}", "s-a făcut gheață pe scările de la pasaj, încă n-a căzut nimeni, trimiteți pe cineva cu sare",
                            "am văzut șoareci și gândaci în ghena blocului, când se face dezinsecție?", "containerele de sticlă sunt pline de zece zile, miroase urât în toată curtea",
                            "parcarea subterană de la piață e sub apă, nu e nimeni acolo, dar nu se poate intra",
                            "cineva din bloc a scos un stâlp de rezistență la parter pentru un magazin",
                            "lipsește ușița de la stâlpul de iluminat, se văd firele, dar nu scânteiază",
                            "indicatorul de cedează trecerea a fost lovit săptămâna trecută și stă culcat",
                            "luna trecută a ars o mașină în parcare și carcasa e tot acolo"],
                     "en": ["the {line} never showed up this morning, 45 minutes in the cold", "the {line} driver shut the doors on an old lady",
                            "it's freezing inside the {line}, heaters off", "the {line} driver smokes at the wheel",
                            "the glass of the shelter at {stop} is smashed", "a lorry has been parked in the {stop} bus bay since morning",
                            "the slide in the {place} playground has a broken panel with a sharp edge", "someone dumped building waste in the field near {place}",
                            "the stray dogs in {place} bark and jump at cyclists", "someone sprayed paint all over the statue in {place}",
                            "the steps to the school are a sheet of ice, no one has slipped yet, can you grit them",
                            "there are rats running around the bins behind the market", "the glass recycling bins are overflowing, smells all over the yard",
                            "the underground car park by the market is under water, empty, but you can't get in",
                            "the little door of the lamp post is missing and the wires show, no sparks",
                            "the give-way sign was knocked down last week and is still lying there",
                            "a car burned out in the car park last month and the wreck is still there"]},
}

# (issue 15, the five-set round) the social intents and the edges of the town hall's world, which
# every independent set found weakest: a greeting that says who is writing or asks whether this is
# the right chat, thanks said with a reason, praise or blame for a service (feedback, not a
# report), asking for a person in many words, and everyday questions the town hall does not
# answer (private companies, landlords, the bot's own age). Written from those kinds, no set's text.
T5 = {
    "greeting": {"ro": ["bună seara, sper că e cineva de serviciu", "sărut mâna, sunt {name} din {place}",
                        "bună ziua, aici e chatul primăriei?", "salutare, am nimerit bine, e primăria Brașov?",
                        "bună dimineața, mă scuzați de oră", "hei, e cineva aici?", "bună, mă numesc {name}",
                        "noroc, prima dată scriu aici", "bună ziua dragă primărie", "servus, ce faceți?"],
                 "en": ["good evening, hope someone is around", "hi there, this is {name_en} from {place_en}",
                        "hello, is this the town hall's chat?", "hey, did I get the right place? city hall?",
                        "morning! sorry for writing so early", "hi, anyone there?", "hello, my name is {name_en}",
                        "hi, first time using this", "good afternoon to the city hall team", "hey hey 🙂"]},
    "thanks": {"ro": ["mulțumesc, m-ați scutit de un drum până la primărie", "Dumnezeu să vă dea sănătate pentru răspuns",
                      "mersi mult, acum știu ce am de făcut", "vă mulțumesc frumos, m-ați lămurit", "mulțam fain, ați fost de mare ajutor",
                      "mulțumesc pentru răbdare, sunt mai în vârstă și nu mă pricep", "super, mersi, exact asta căutam",
                      "aa, ok, mersi de info"],
               "en": ["thank you, that saved me a trip downtown", "thanks so much, now I know what to do",
                      "cheers, that cleared it up", "thank you for being patient with me", "great, thanks, exactly what I needed",
                      "oh ok, thanks for the info", "much appreciated, thank you",
                      "thanks, you've been really helpful"]},
    # thanks said with a farewell is a goodbye (the five writers agree): the conversation ends
    "goodbye": {"ro": ["vă mulțumesc pentru tot, o zi bună și la revedere", "mersi, asta a fost tot, pa", "gata, mulțumesc, o seară bună",
                       "mulțumesc frumos, vă doresc o zi bună, la revedere", "ok, am terminat, mersi și pa"],
                "en": ["thanks for everything, have a nice day, bye", "that's all for now, bye and thanks", "cheers, that's it, bye",
                       "thank you, good night", "ok done, thanks, see you"]},
    "feedback": {"ro": ["turist fiind, orașul e superb, dar {thing} e o rușine, să știți", "bravo pentru aplicație, mi-au reparat groapa în câteva zile",
                        "am sunat la dispecerat și n-a răspuns nimeni o oră, nu e normal", "la ghișeu doamna a fost foarte amabilă, mulțumiri echipei",
                        "chatul ăsta e mai rapid decât să stau la coadă, felicitări", "site-ul primăriei e greu de folosit, nu găsești nimic",
                        "de ce durează atât răspunsurile la sesizări? e ridicol", "mi-a plăcut cum ați rezolvat, așa da"],
                 "en": ["as a visitor I love the city, but {thing_en} are a disgrace, just so you know",
                        "love that reporting works now, my street got fixed in a week", "I called the dispatcher and nobody picked up for an hour, not ok",
                        "the lady at the counter was really kind, thanks to the team", "this chat beats queueing at the town hall, well done",
                        "your website is a maze, impossible to find anything", "why do replies to reports take so long? ridiculous",
                        "five stars for the quick fix on my street"]},
    "human_agent": {"ro": ["pot vorbi cu cineva de la {dept}? am o listă lungă", "aveți un om căruia să-i explic? e complicat",
                           "vreau să discut cu un coleg de-al dumneavoastră, nu cu robotul", "mă poate suna cineva înapoi?",
                           "dați-mi pe cineva de la {dept}, vă rog", "se poate vorbi cu o persoană reală?",
                           "vreau să fac o plângere oficială, cu un funcționar"],
                    "en": ["could I speak to someone from {dept_en}? I have a long list", "is there a person I can explain this to? it's long",
                           "I'd rather talk to one of your colleagues than a bot", "can someone call me back please?",
                           "put me through to {dept_en}, please", "is a real human available?", "I want to file a formal complaint with an actual person"]},
    "out_of_scope": {"ro": ["ești om sau robot? câți ani ai?", "internetul de la {company} nu merge în tot cartierul, îi sunați voi?",
                            "proprietarul nu-mi dă garanția înapoi, ce pot face?", "centrala mea de apartament nu pornește, știți un instalator?",
                            "ce restaurant îmi recomandați în centru?", "vecinul de la etaj are un câine care latră, e treaba primăriei? nu cred",
                            "cine a câștigat meciul aseară?", "la ce oră se deschide mall-ul?", "ce vreme e mâine la Poiana?",
                            "cât costă un taxi până la București?"],
                     "en": ["are you a human or a bot? how old are you?", "{company} internet is down in the whole area, can you call them?",
                            "my landlord won't return my deposit, what can I do?", "my boiler won't start, know a good plumber?",
                            "any restaurant you'd recommend in the centre?", "who won the match last night?", "when does the mall open?",
                            "what's the weather in Poiana tomorrow?", "how much is a taxi to Bucharest?"]},
}
T5_FILL = {"name": ["Maria", "Ion", "doamna Elena", "domnul Popescu", "Andreea", "Vasile"],
           "name_en": ["Tom", "Anna", "Luca", "Sarah", "Mihai", "Julia"],
           "thing": ["toaletele publice din centru", "gunoiul de pe Tâmpa", "trotuarele din Schei", "graffiti-ul de pe ziduri"],
           "thing_en": ["the public toilets in the centre", "the pavements in the old town", "the bins on Tâmpa", "the graffiti on the walls"],
           "dept": ["iluminatul public", "taxe locale", "urbanism", "registratură", "poliția locală", "spații verzi"],
           "dept_en": ["street lighting", "local taxes", "urban planning", "the registry", "the local police", "parks"],
           "company": ["Digi", "Orange", "Vodafone", "Telekom", "Electrica", "Engie"]}

# Figures of speech and past events around danger words, with their real intent.
NEAR = {
    "ro": [("săptămâna trecută o mașină a lovit stâlpul de iluminat și acum stă aplecat, nu e nimeni în pericol", "report_issue"),
           ("alaltăieri a ars o ghenă, a rămas funingine pe perete", "report_issue"),
           ("am avut o tamponare săptămâna trecută, de unde iau autorizația de reparație?", "out_of_scope"),
           ("după inundația din vară ce acte depun pentru ajutor?", "documents_info"),
           ("ard de nerăbdare să înceapă festivalul", "out_of_scope"), ("am visat că a venit un cutremur, e semn rău?", "out_of_scope"),
           ("la birou avem simulare de incendiu joi, să nu vă speriați de alarmă", "out_of_scope"),
           ("care sunt semnele unei hipotermii? vreau să fiu pregătit pentru drumeție", "out_of_scope"),
           ("care e numărul unic de urgență în Europa? pentru tema copilului", "out_of_scope"), ("mă plictisesc de moarte la coada de la taxe", "feedback"),
           ("e Brașovul în zonă seismică? să-mi fac griji pentru blocul vechi?", "out_of_scope"),
           ("dacă ia foc apartamentul vecinului, asigurarea mea acoperă pagubele?", "out_of_scope"),
           ("haha mi-a luat foc mintea cu formularul ăsta 😂", "feedback"),
           ("mașinile parcate pe aleea pentru pompieri blochează accesul, n-a pățit nimeni încă", "report_issue"),
           ("anul trecut a fost un incendiu la pădure, mai merge autobuzul pe acolo?", "transport_schedule"),
           ("pompierii au ajuns repede și totul e bine acum, mulțumim", "thanks")],
    "en": [("a van clipped the lamp post last week and it's leaning, nobody's in danger", "report_issue"),
           ("a rubbish chute burned two days ago, soot all over the wall", "report_issue"),
           ("had a fender bender last week, where do I get the repair authorisation?", "out_of_scope"),
           ("which papers do I file for help after the summer flood?", "documents_info"),
           ("their new album is fire, when's the concert?", "out_of_scope"), ("had a nightmare about an earthquake, is that a sign?", "out_of_scope"),
           ("evacuation drill at the kindergarten on Thursday, just letting you know", "out_of_scope"),
           ("what are the signs of hypothermia? planning a winter hike", "out_of_scope"),
           ("my e-scooter battery died, where can I charge it?", "out_of_scope"), ("bored to death in the queue at the tax office", "feedback"),
           ("how likely is a big earthquake here? should I worry about my old flat?", "out_of_scope"),
           ("if a fire starts in my building, does my home insurance cover the neighbours?", "out_of_scope"),
           ("lol this form is killing me, it's an emergency 😂", "feedback"),
           ("cars keep parking in the fire lane behind our block, nothing has happened yet", "report_issue"),
           ("heard there was a forest fire near the road last week, is the bus still running?", "transport_schedule"),
           ("the firefighters came in time and everything's fine now, thank you", "thanks")],
}


def rows(rng: random.Random, noisy, frame, refs, per_template: int = 4) -> list[tuple[str, str, str]]:
    """``(text, intent, lang)`` rows: every template of :data:`T4` ``per_template`` times with fresh
    fillers, written the citizens' way (``noisy``) and now and then framed (``frame``); the near
    misses (:data:`NEAR`) three times each. ``refs`` is :mod:`services.chatbot.phrasings`."""
    from services.chatbot.registers import near_miss_rows
    from services.chatbot.training import TAX_EN, TAX_RO

    out = []
    for intent, by_lang in T4.items():
        for lang, templates in by_lang.items():
            taxes = TAX_RO if lang == "ro" else TAX_EN
            for tpl in templates:
                for _ in range(per_template):
                    p1, p2 = rng.sample(PLACES, 2)
                    e1, e2 = rng.sample(PLACES_EN, 2)
                    text = tpl.format(place=p1, place2=p2, place_en=e1, place_en2=e2, stop=rng.choice(refs.STOP_NAMES),
                                      line=refs.line_ref(rng), time=rng.choice(TIMES), time_en=rng.choice(TIMES_EN),
                                      day=rng.choice(DAYS), day_en=rng.choice(DAYS_EN), sight=rng.choice(SIGHTS if lang == "ro" else SIGHTS_EN),
                                      hour=f"{rng.randint(14, 17)}:{rng.choice(['00', '15', '30', '45'])}",
                                      hour_en=f"{rng.randint(2, 5)}:{rng.choice(['00', '15', '30', '45'])}pm",
                                      doc_ro=rng.choice(DOCS_RO), doc_en=rng.choice(DOCS_EN), pid=permit_ref(rng),
                                      rid=request_ref(rng), street=refs.street_ref(rng),
                                      tax=rng.choice(rng.choice(list(taxes.values()))))
                    if rng.random() < 0.3:
                        text = frame(text, lang, rng)
                    out.append((noisy(text, rng), intent, lang))
    for intent, by_lang in T5.items():
        for lang, templates in by_lang.items():
            for tpl in templates:
                for _ in range(per_template):
                    text = tpl.format(place=rng.choice(PLACES), place_en=rng.choice(PLACES_EN),
                                      **{k: rng.choice(v) for k, v in T5_FILL.items()})
                    if rng.random() < 0.3:
                        text = frame(text, lang, rng)
                    out.append((noisy(text, rng), intent, lang))
    return out + near_miss_rows(NEAR, rng, noisy)
