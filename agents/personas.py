"""Personas, channels and profiles: who a citizen is to the city hall, and how they reach it.

A **persona** is the case study's view of a citizen (the design of e-government services for
Romanian cities is argued persona by persona). Each persona has a distribution over the
**channels** a citizen uses to reach the city hall, a median **patience** (minutes of waiting
before giving up), and the share of its members with **accessibility needs**. Everything here is
data: scenarios can change the shares in :class:`agents.population.PopulationParams`.

The channel mixes and patience medians are modelling assumptions (no Romanian survey gives them
per persona); they follow the direction of the published figures: Romania has the lowest share
of people with at least basic digital skills in the EU (27.7 % of 16–74 year olds in 2023, EU
55.6 %; Eurostat ``isoc_sk_dskl_i21``), and 67 % of citizens cite waiting times as their main
complaint about public services (the case study's blog).
"""
from __future__ import annotations

PERSONAS = ("elderly_low_digital", "disability", "digital_worker", "student", "small_business",
            "tourist", "resident")
"""Persona names; ``resident`` is everybody the case study does not single out (children, most
workers and unemployed, digitally able retirees)."""

CHANNELS = ("chatbot", "web", "app", "kiosk", "phone", "in_person")
NOTIFY = ("push", "email", "sms", "letter")
#: how a citizen who uses a channel is told that something changed
NOTIFY_OF_CHANNEL = {"chatbot": "email", "web": "email", "app": "push", "kiosk": "sms",
                     "phone": "sms", "in_person": "letter"}

LANGUAGES = ("ro", "hu", "en")

# accessibility needs, as bits of Population.access
PLAIN_LANGUAGE = 1
LARGE_TEXT = 2
SCREEN_READER = 4
STEP_FREE = 8
ACCESS_NEEDS = {"plain_language": PLAIN_LANGUAGE, "large_text": LARGE_TEXT,
                "screen_reader": SCREEN_READER, "step_free": STEP_FREE}

# persona -> channel -> share (each row sums to 1)
CHANNEL_MIX: dict[str, dict[str, float]] = {
    "elderly_low_digital": {"phone": 0.45, "in_person": 0.42, "kiosk": 0.05, "web": 0.05, "chatbot": 0.03},
    "disability": {"phone": 0.30, "chatbot": 0.20, "web": 0.20, "app": 0.10, "in_person": 0.15, "kiosk": 0.05},
    "digital_worker": {"app": 0.35, "web": 0.30, "chatbot": 0.30, "phone": 0.05},
    "student": {"app": 0.45, "chatbot": 0.40, "web": 0.15},
    "small_business": {"web": 0.45, "chatbot": 0.20, "app": 0.15, "phone": 0.10, "in_person": 0.10},
    "tourist": {"chatbot": 0.60, "web": 0.20, "kiosk": 0.20},
    "resident": {"web": 0.20, "app": 0.15, "chatbot": 0.15, "phone": 0.25, "in_person": 0.20, "kiosk": 0.05},
}

# persona -> median minutes a citizen waits (queue, phone line, slow reply) before giving up;
# individual patience is log-normal around it (sigma PATIENCE_SIGMA)
PATIENCE_MEDIAN_MIN = {"elderly_low_digital": 25.0, "disability": 15.0, "digital_worker": 6.0,
                       "student": 5.0, "small_business": 8.0, "tourist": 4.0, "resident": 12.0}
PATIENCE_SIGMA = 0.6

# persona -> (share with an accessibility need, the needs they have as bits)
ACCESS_OF_PERSONA = {
    "elderly_low_digital": (0.5, PLAIN_LANGUAGE | LARGE_TEXT),
    "disability": (1.0, None),   # drawn per person: see population._access
    "digital_worker": (0.0, 0), "student": (0.0, 0), "small_business": (0.0, 0),
    "tourist": (0.0, 0), "resident": (0.03, LARGE_TEXT),
}

# persona -> age group -> share (None: the remainder that makes the city's age structure right)
AGE_OF_PERSONA: dict[str, dict[str, float] | None] = {
    "elderly_low_digital": {"65+": 1.0},
    "disability": {"0-14": 0.05, "15-24": 0.05, "25-64": 0.45, "65+": 0.45},
    "digital_worker": {"15-24": 0.05, "25-64": 0.95},
    "student": {"15-24": 0.9, "25-64": 0.1},
    "small_business": {"25-64": 0.9, "65+": 0.1},
    "tourist": {"15-24": 0.2, "25-64": 0.65, "65+": 0.15},
    "resident": None,
}
