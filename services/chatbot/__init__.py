"""The bilingual (Romanian/English) citizen assistant.

:mod:`~services.chatbot.nlu` understands a message (intent, confidence, slots);
:mod:`~services.chatbot.bot` holds the dialogue and acts through the city hall
(:mod:`services.hall`), the ledger (:mod:`ledger.ledger`) and the GTFS timetable;
:mod:`~services.chatbot.knowledge` is what it says and knows; :mod:`~services.chatbot.training`
its training set; :mod:`~services.chatbot.evaluate` scores it on a labelled file;
:mod:`~services.chatbot.component` puts it in a run. Offline and on CPU: the model is trained
from the repository's own data, nothing is downloaded.
"""
