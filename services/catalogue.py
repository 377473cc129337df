"""The service catalogue of a Romanian city hall: what citizens can ask for, who handles it, how fast.

Three kinds of entries:

* **report categories** — one per MyCluj category (:data:`agents.categories.CATEGORIES`), an
  Open311 service of group ``reports``;
* **permits** — urbanism certificate, building permit, residential parking permit: Open311
  services of group ``permits`` (type ``batch``: they are decided at a desk, not on site);
* **local taxes** — building, land and vehicle tax (:data:`TAXES`): paid, not requested, so
  they are not Open311 services; the ledger issue records the payments.

Each service names its **department** (:data:`DEPARTMENTS`), its **SLA** in hours, a
**priority** (1 urgent … 3 routine) and **how it is worked**: ``field`` (a crew goes to the
place) or ``desk`` (a clerk handles it). SLA figures are the twin's service targets; the legal
ceiling for answering a petition in Romania is 30 days (OG 27/2002, art. 8), for an urbanism
certificate 15 days and for a building permit 30 days (Law 50/1991, art. 6¹ and 7).

Attributes follow Open311's service definitions (``datatype`` string, number, datetime, text,
singlevaluelist, multivaluelist). A ``number`` attribute may carry a range (``minimum``,
``maximum``, ``integer``) that the city hall enforces at intake (:mod:`services.hall`) and that
its ``datatype_description`` states in words.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from agents.categories import CATEGORIES


@dataclass(frozen=True)
class Department:
    code: str
    ro: str
    en: str
    work: str                   # "field" or "desk"
    staff: int                  # crews (field) or clerks (desk) by default
    mean_work_min: float        # mean time on one request (on site, or at the desk)
    shift: tuple[int, int] = (8, 16)        # local hours when the staff work
    weekdays_only: bool = True


DEPARTMENTS: dict[str, Department] = {d.code: d for d in (
    Department("local_police", "Poliția Locală", "Local Police", "field", 6, 25.0, (7, 23), False),
    Department("roads", "Direcția Tehnică — Drumuri și poduri", "Roads and bridges", "field", 4, 120.0, (7, 19)),
    Department("green_spaces", "Serviciul Spații Verzi", "Green spaces", "field", 3, 90.0, (7, 15)),
    Department("sanitation", "Serviciul Salubritate", "Sanitation", "field", 4, 60.0, (6, 22), False),
    Department("traffic_safety", "Serviciul Siguranța Circulației", "Traffic safety", "field", 2, 60.0, (7, 15)),
    Department("lighting", "Serviciul Iluminat Public", "Public lighting", "field", 2, 45.0, (7, 19)),
    Department("parking", "Serviciul Parcări", "Parking", "field", 2, 40.0, (8, 16)),
    Department("urbanism", "Direcția Urbanism — Disciplina în construcții", "Urbanism and building control",
               "desk", 4, 45.0),
    Department("transport", "RATBV — Relații cu publicul", "Public transport (RATBV)", "desk", 1, 20.0),
    Department("water", "Compania Apa Brașov — Dispecerat", "Water and sewer (Compania Apa)", "field", 3, 150.0,
               (0, 24), False),
    Department("social", "Direcția de Asistență Socială", "Social assistance", "desk", 3, 40.0),
    Department("tax", "Direcția Fiscală", "Local taxes office", "desk", 3, 15.0),
    Department("registry", "Registratură și relații cu publicul", "Registry and public relations", "desk", 2, 15.0),
)}


@dataclass(frozen=True)
class Attribute:
    """One Open311 attribute of a service definition."""

    code: str
    datatype: str
    description: str
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()       # (key, name) for the list types
    variable: bool = True
    datatype_description: str = ""
    minimum: float | None = None                    # for datatype number: the range taken at intake
    maximum: float | None = None
    integer: bool = False                           # for datatype number: whole numbers only


@dataclass(frozen=True)
class Service:
    code: str
    ro: str
    en: str
    group: str                  # "reports" or "permits"
    department: str
    sla_h: float
    priority: int
    description_en: str = ""
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)
    type: str = "realtime"
    chatbot: str = "other"      # the chatbot's category slot

    @property
    def work(self) -> str:
        return DEPARTMENTS[self.department].work

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


# Per report category: department, SLA (hours), priority, keywords, attributes.
_REPORTS = {
    "illegal_parking": ("local_police", 2, 2, ("parcare", "mașină", "parking", "car"), ()),
    "streets": ("roads", 120, 2, ("groapă", "trotuar", "pod", "pothole", "sidewalk"),
                (Attribute("defect", "singlevaluelist", "What is damaged", True,
                           (("pothole", "Groapă / pothole"), ("sidewalk", "Trotuar / sidewalk"),
                            ("bridge", "Pod / bridge"), ("other", "Altceva / other"))),)),
    "parks": ("green_spaces", 168, 3, ("parc", "copac", "park", "tree"), ()),
    "other": ("registry", 240, 3, (), ()),
    "sanitation": ("sanitation", 48, 2, ("gunoi", "salubritate", "garbage"), ()),
    "road_signs": ("traffic_safety", 72, 2, ("indicator", "marcaj", "sign"), ()),
    "public_lighting": ("lighting", 72, 2, ("stâlp", "bec", "streetlight", "lamp"),
                        (Attribute("lamps_out", "number", "How many lamps are out", False,
                                   datatype_description="a whole number, 1 to 50", minimum=1, maximum=50,
                                   integer=True),)),
    "parking": ("parking", 120, 3, ("parcare", "parking lot"), ()),
    "waste_dumping": ("sanitation", 72, 2, ("moloz", "deșeuri", "dumping"),
                      (Attribute("volume", "singlevaluelist", "How much waste", False,
                                 (("bag", "Câțiva saci / a few bags"), ("car", "O mașină / a car load"),
                                  ("truck", "Un camion / a truck load"))),)),
    "illegal_construction": ("urbanism", 240, 3, ("construcție", "șantier", "construction"), ()),
    "public_transport": ("transport", 240, 3, ("autobuz", "stație", "bus", "stop"), ()),
    "water_sewer": ("water", 24, 1, ("apă", "canal", "țeavă", "water", "leak"), ()),
    "noise": ("local_police", 2, 1, ("zgomot", "gălăgie", "noise"),
              (Attribute("source", "singlevaluelist", "Where the noise comes from", False,
                         (("music", "Muzică / music"), ("works", "Lucrări / works"),
                          ("venue", "Local / venue"), ("other", "Altceva / other"))),)),
    "social_assistance": ("social", 240, 2, ("ajutor", "social", "help"), ()),
    "taxes": ("tax", 240, 3, ("impozit", "taxă", "tax"), ()),
    "homeless": ("social", 48, 2, ("adăpost", "homeless"), ()),
}

REPORTS: tuple[Service, ...] = tuple(
    Service(c.code, c.ro, c.en, "reports", _REPORTS[c.code][0], float(_REPORTS[c.code][1]), _REPORTS[c.code][2],
            description_en=f"Report: {c.en.lower()}", keywords=_REPORTS[c.code][3],
            attributes=_REPORTS[c.code][4], chatbot=c.chatbot)
    for c in CATEGORIES)

PERMITS: tuple[Service, ...] = (
    Service("urbanism_certificate", "Certificat de urbanism", "Urbanism certificate", "permits", "urbanism",
            15 * 24, 3, "Apply for an urbanism certificate (Law 50/1991: issued within 15 days)",
            ("certificat", "urbanism"), type="batch"),
    Service("building", "Autorizație de construire", "Building permit", "permits", "urbanism", 30 * 24, 3,
            "Apply for a building permit (Law 50/1991: issued within 30 days)", ("autorizație", "construire"),
            type="batch"),
    Service("residential_parking", "Abonament de parcare rezidențială", "Residential parking permit", "permits",
            "parking", 10 * 24, 3, "Apply for a residential parking permit", ("abonament", "parcare"),
            type="batch"),
)


@dataclass(frozen=True)
class Tax:
    code: str
    ro: str
    en: str
    due: tuple[tuple[int, int], ...] = ((3, 31), (9, 30))   # (month, day) of the two instalments
    early_discount: float = 0.10                          # paid in full by the first due date


TAXES: tuple[Tax, ...] = (
    Tax("building", "Impozit pe clădiri", "Building tax"),
    Tax("land", "Impozit pe teren", "Land tax"),
    Tax("vehicle", "Impozit pe mijloacele de transport", "Vehicle tax"),
)

SERVICES: dict[str, Service] = {s.code: s for s in REPORTS + PERMITS}


def service(code: str) -> Service:
    """The service with Open311 ``service_code`` ``code`` (KeyError if there is none)."""
    return SERVICES[code]


def name(svc: Service, lang: str = "en") -> str:
    """The service's name in ``lang`` (``"ro"``; anything else gives English)."""
    return svc.ro if lang == "ro" else svc.en
