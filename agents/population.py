"""Population synthesis: the citizens of a city as struct-of-arrays, drawn from real shares.

:func:`synthesize` turns a :class:`twin.city.City` and a number of people into a
:class:`Population` — one NumPy array per attribute, one entry per citizen — so that a quarter of
a million citizens cost a few tens of megabytes and every question about them is a vector
operation. Citizen ``i`` appears in events only as ``citizen:i`` (a pseudonym): no names, no
national ids.

The order of the draw (each step uses the ``population`` random stream of the run):

1. **persona** from ``persona_shares``;
2. **age group** given the persona (:data:`agents.personas.AGE_OF_PERSONA`); the ``resident``
   persona takes whatever age structure is left, so that the city's ages match ``age_shares``;
3. **occupation** from persona and age (pupil, student, worker, retiree, unemployed; tourists are
   ``visitor``);
4. **households** of sizes drawn from ``household_sizes`` (tourists stay alone), each with a
   **home**: a road node of a residential street on the drivable core, weighted by the
   district's population where districts are known (OSM ``population`` tags or
   ``<city>_places.geojson``); tourists lodge near the centre;
5. **workplace or school**: workers in commercial/retail/industrial land use or at a POI that
   employs people; pupils at the school or kindergarten nearest to home; students at a
   university or college;
6. **language** (Romanian, a share of Hungarian speakers, English for foreigners and most
   tourists), **digital skills**, preferred **channel**, **notification** channel,
   **accessibility needs** and **patience** (see :mod:`agents.personas`).

Real shares, with their sources, are the defaults of :class:`PopulationParams`; each is a
parameter a scenario may change.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents import personas as P

AGE_GROUPS = ("0-14", "15-24", "25-64", "65+")
OCCUPATIONS = ("pupil", "student", "worker", "retiree", "unemployed", "visitor")
RESIDENTIAL_HIGHWAYS = ("residential", "living_street", "service", "unclassified", "tertiary")
JOB_POIS = ("townhall", "hospital", "clinic", "school", "college", "university", "marketplace",
            "post_office", "police", "fire_station", "library", "courthouse")


def _shares(values: dict, names, field_name: str) -> dict:
    unknown = set(values) - set(names)
    if unknown:
        raise ValueError(f"{field_name}: unknown key(s) {sorted(unknown)}; allowed: {list(names)}")
    bad = {k: v for k, v in values.items() if not 0 <= v <= 1}
    if bad:
        raise ValueError(f"{field_name}: shares must be in [0, 1], got {bad}")
    total = sum(values.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{field_name}: shares must sum to 1, got {total:.6f}")
    return values


class PopulationParams(BaseModel):
    """Shares that shape the synthetic population (all parameters of a scenario)."""

    model_config = ConfigDict(extra="forbid")

    # Romania, 1 January 2023, Eurostat demo_pjangroup (≈): 0–14 15.8 %, 15–24 10.4 %,
    # 25–64 54.5 %, 65+ 19.3 %.
    age_shares: dict[str, float] = Field(default_factory=lambda: {
        "0-14": 0.158, "15-24": 0.104, "25-64": 0.545, "65+": 0.193})
    # Persona shares. elderly_low_digital: 65+ (19.3 %) less the few with basic digital skills
    # (≈ 10 % of 65–74 year olds in Romania, Eurostat isoc_sk_dskl_i21, 2023) and those counted
    # under disability → 0.16. disability: ≈ 900,000 registered persons with disabilities of
    # 19.0 million (ANPDPD statistical bulletin, Dec 2023) → 0.047. student: Transilvania
    # University has ≈ 19,000 students, plus upper-secondary pupils (≈ 10 % of Brașov).
    # digital_worker: employed 25–64 (≈ 68.7 % employment rate 20–64, Eurostat lfsi_emp_a 2023)
    # with basic digital skills (≈ 45 % of the employed) → 0.17. small_business: employers and
    # self-employed outside agriculture (≈ 4 % of the population). tourist: Brașov county
    # receives ≈ 1.5 million overnight tourists a year (INS TUR104), a few thousand on a day in
    # the city → 0.015 of the residents.
    persona_shares: dict[str, float] = Field(default_factory=lambda: {
        "elderly_low_digital": 0.16, "disability": 0.047, "digital_worker": 0.17, "student": 0.10,
        "small_business": 0.04, "tourist": 0.015, "resident": 0.468})
    # share of residents aged 25–64 who work (Eurostat lfsi_emp_a 2023: 68.7 % of 20–64)
    employment_rate: float = Field(0.687, ge=0, le=1)
    # people with a disability aged 25–64 who work (ANPDPD: ≈ 30 % of working age)
    disability_employment_rate: float = Field(0.30, ge=0, le=1)
    # residents aged 15–24 in education (INS: upper secondary and tertiary enrolment ≈ 60 %)
    youth_in_education: float = Field(0.60, ge=0, le=1)
    # children 0–14 in kindergarten or school (ages 3–14 of 0–14, ≈ 80 %)
    children_in_school: float = Field(0.80, ge=0, le=1)
    # Hungarian mother tongue, Brașov municipality (INS census 2021: ≈ 3.6 %)
    hungarian_share: float = Field(0.036, ge=0, le=1)
    # foreign residents who prefer English (IGI: ≈ 1 % foreign residents in Brașov county)
    english_share: float = Field(0.01, ge=0, le=1)
    # tourists who use English (INS: ≈ 60 % of arrivals in Brașov are foreign... or Romanians
    # from elsewhere; assumption)
    tourist_english_share: float = Field(0.6, ge=0, le=1)
    # basic digital skills among 'resident' adults (national 27.7 %, Eurostat 2023)
    resident_digital_share: float = Field(0.277, ge=0, le=1)
    # household sizes (INS census 2021, Romania: average 2.55 persons; ≈ 28 % one-person)
    household_sizes: dict[int, float] = Field(default_factory=lambda: {
        1: 0.28, 2: 0.29, 3: 0.20, 4: 0.15, 5: 0.08})
    # households with a car — assumption 0.6 (no household-level figure for Brașov was found
    # here; a 2007 Eurobarometer had 54 % of Romanians without a car, and ownership has grown
    # since: Eurostat road_eqs_carhab counts 417 passenger cars per 1,000 inhabitants in Romania in
    # 2022, up 86 % from 2012 — company and fleet cars included)
    households_with_car: float = Field(0.60, ge=0, le=1)
    # car-owning households with a second car — assumption 0.35: with the 0.6 above that is
    # 0.81 cars per household, ≈ 320 household cars per 1,000 residents (Brașov at 1:1: 81,820
    # cars, 323 per 1,000), three quarters of Eurostat's 417 per 1,000 for Romania (the rest: company,
    # fleet and commuters' cars, and cars kept but rarely driven). Each car is one resource of
    # its household (agents.daily)
    second_car_share: float = Field(0.35, ge=0, le=1)
    # workplaces inside job areas (commercial/retail/industrial land use, employing POIs)
    work_in_job_areas: float = Field(0.7, ge=0, le=1)

    @field_validator("age_shares")
    @classmethod
    def _ages(cls, v):
        return _shares(v, AGE_GROUPS, "age_shares")

    @field_validator("persona_shares")
    @classmethod
    def _personas(cls, v):
        return _shares(v, P.PERSONAS, "persona_shares")

    @field_validator("household_sizes")
    @classmethod
    def _households(cls, v):
        if any(k < 1 for k in v):
            raise ValueError(f"household_sizes: sizes must be >= 1, got {sorted(v)}")
        _shares({str(k): x for k, x in v.items()}, [str(k) for k in v], "household_sizes")
        return v

    @model_validator(mode="after")
    def _resident_ages(self):
        resident_age_shares(self)   # raises if the personas leave no room for the age structure
        return self


def resident_age_shares(p: PopulationParams) -> np.ndarray:
    """Age distribution of the ``resident`` persona that makes the whole city match
    ``age_shares`` (the other personas' ages are fixed by :data:`agents.personas.AGE_OF_PERSONA`)."""
    target = np.array([p.age_shares.get(g, 0.0) for g in AGE_GROUPS])
    fixed = np.zeros(len(AGE_GROUPS))
    for persona, ages in P.AGE_OF_PERSONA.items():
        if ages is not None:
            fixed += p.persona_shares.get(persona, 0.0) * np.array([ages.get(g, 0.0) for g in AGE_GROUPS])
    rest = target - fixed
    share = p.persona_shares.get("resident", 0.0)
    if (rest < -1e-9).any() or share <= 0:
        over = [g for g, r in zip(AGE_GROUPS, rest) if r < -1e-9]
        raise ValueError(f"persona_shares: the personas need more people aged {over} than age_shares "
                         f"gives; lower those personas or raise the 'resident' share")
    rest = np.maximum(rest, 0.0)
    return rest / rest.sum()


@dataclass
class Population:
    """The citizens of a run, one array per attribute (index = citizen id)."""

    home: np.ndarray            # int32 road node
    household: np.ndarray       # int32 household id
    age: np.ndarray             # int8 index into AGE_GROUPS
    occupation: np.ndarray      # int8 index into OCCUPATIONS
    workplace: np.ndarray       # int32 node of work or school, -1 if none
    persona: np.ndarray         # int8 index into personas.PERSONAS
    language: np.ndarray        # int8 index into personas.LANGUAGES
    digital: np.ndarray         # bool: at least basic digital skills
    channel: np.ndarray         # int8 index into personas.CHANNELS
    notify: np.ndarray          # int8 index into personas.NOTIFY
    access: np.ndarray          # int8 bits of personas.ACCESS_NEEDS
    patience_min: np.ndarray    # float32 minutes of waiting before giving up
    has_car: np.ndarray         # bool: the household has a car
    district: np.ndarray        # int16 district of home, -1 unknown
    n_households: int = 0
    hh_cars: np.ndarray | None = None   # int8 cars per household (None: one per car-owning household)
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.home)

    def shares(self, attr: str, names) -> dict[str, float]:
        """Share of citizens per value of a categorical attribute (``"persona"``, ...)."""
        counts = np.bincount(getattr(self, attr), minlength=len(names))
        return {n: float(c) / max(len(self), 1) for n, c in zip(names, counts)}

    def profile(self, i: int) -> dict:
        """What the services may know about citizen ``i`` to personalise a reply: language,
        notification channel, preferred channel, accessibility needs, persona. No identity."""
        bits = int(self.access[i])
        return {"citizen": f"citizen:{i}", "persona": P.PERSONAS[self.persona[i]],
                "language": P.LANGUAGES[self.language[i]], "channel": P.CHANNELS[self.channel[i]],
                "notify": P.NOTIFY[self.notify[i]],
                "access_needs": [k for k, b in P.ACCESS_NEEDS.items() if bits & b],
                "patience_min": round(float(self.patience_min[i]), 1)}

    def gives_up(self, citizens, wait_min) -> np.ndarray:
        """Whether each citizen abandons after waiting ``wait_min`` minutes."""
        return np.asarray(wait_min, np.float64) > self.patience_min[np.asarray(citizens)]


def synthesize(city, n: int, params: PopulationParams | None = None, rng: np.random.Generator | None = None
               ) -> Population:
    """Draw ``n`` citizens for ``city`` (see the module docstring)."""
    if n < 0:
        raise ValueError(f"population must be >= 0, got {n}")
    p = params or PopulationParams()
    rng = rng or np.random.default_rng(0)
    pers_p = np.array([p.persona_shares.get(k, 0.0) for k in P.PERSONAS])
    persona = rng.choice(len(P.PERSONAS), size=n, p=pers_p / pers_p.sum()).astype(np.int8)

    age = np.zeros(n, np.int8)
    res_ages = resident_age_shares(p)
    for k, name in enumerate(P.PERSONAS):
        idx = np.nonzero(persona == k)[0]
        ages = P.AGE_OF_PERSONA[name]
        dist = res_ages if ages is None else np.array([ages.get(g, 0.0) for g in AGE_GROUPS])
        age[idx] = rng.choice(len(AGE_GROUPS), size=len(idx), p=dist / dist.sum())

    occupation = _occupations(persona, age, p, rng)
    language = _languages(persona, p, rng)
    digital = _digital(persona, age, p, rng)
    channel = np.zeros(n, np.int8)
    access = np.zeros(n, np.int8)
    patience = np.zeros(n, np.float32)
    for k, name in enumerate(P.PERSONAS):
        idx = np.nonzero(persona == k)[0]
        mix = P.CHANNEL_MIX[name]
        w = np.array([mix.get(c, 0.0) for c in P.CHANNELS])
        channel[idx] = rng.choice(len(P.CHANNELS), size=len(idx), p=w / w.sum())
        patience[idx] = P.PATIENCE_MEDIAN_MIN[name] * np.exp(rng.normal(0.0, P.PATIENCE_SIGMA, len(idx)))
        share, bits = P.ACCESS_OF_PERSONA[name]
        has = rng.random(len(idx)) < share
        if bits is None:   # disability: mobility, visual or cognitive (one need at least)
            kinds = rng.choice(3, size=len(idx), p=[0.5, 0.25, 0.25])
            bits_arr = np.choose(kinds, [P.STEP_FREE, P.SCREEN_READER | P.LARGE_TEXT, P.PLAIN_LANGUAGE])
            access[idx] = np.where(has, bits_arr, 0)
        else:
            access[idx] = np.where(has, bits, 0)
    # the digitally unskilled do not use apps or the web on their own
    online = np.isin(channel, [P.CHANNELS.index(c) for c in ("app", "web", "chatbot")])
    fallback = rng.choice([P.CHANNELS.index("phone"), P.CHANNELS.index("in_person")], size=n)
    channel = np.where(online & ~digital & (rng.random(n) < 0.5), fallback, channel).astype(np.int8)
    notify_of = np.array([P.NOTIFY.index(P.NOTIFY_OF_CHANNEL[c]) for c in P.CHANNELS], np.int8)
    notify = notify_of[channel]

    # households and homes
    tourist = persona == P.PERSONAS.index("tourist")
    household, n_households = _households(~tourist, p, rng)
    nodes = city.core_nodes("both")   # reachable by car and on foot
    if not len(nodes):
        nodes = city.core_nodes("walk")
    home_nodes, home_w = _home_weights(city, nodes)
    hh_home = rng.choice(home_nodes, size=n_households, p=home_w / home_w.sum()).astype(np.int32)
    home = np.zeros(n, np.int32)
    home[~tourist] = hh_home[household[~tourist]]
    t_idx = np.nonzero(tourist)[0]
    if len(t_idx):
        home[t_idx] = _near_centre(city, nodes, len(t_idx), rng)
        household[t_idx] = n_households + np.arange(len(t_idx))
        n_households += len(t_idx)
    hh_car = rng.random(n_households) < p.households_with_car
    has_car = hh_car[household] & ~tourist

    workplace = _workplaces(city, nodes, home, occupation, p, rng)
    district = city.arrays["node_district"][home].astype(np.int16)
    # drawn last, so that every attribute above is the same whatever second_car_share is
    hh_cars = (hh_car & ~np.isin(np.arange(n_households), household[tourist])).astype(np.int8)
    hh_cars += (hh_cars > 0) & (rng.random(n_households) < p.second_car_share)
    return Population(home=home, household=household, age=age, occupation=occupation,
                      workplace=workplace, persona=persona, language=language, digital=digital,
                      channel=channel, notify=notify, access=access, patience_min=patience,
                      has_car=has_car, district=district, n_households=n_households, hh_cars=hh_cars)


def poi_nodes(city, kinds) -> np.ndarray:
    """Road nodes (reachable by car and on foot) nearest to the city's POIs of ``kinds``."""
    pois = [q for q in city.pois if q.kind in kinds]
    if not pois:
        return np.zeros(0, np.int32)
    nodes = city.nearest_nodes([q.lon for q in pois], [q.lat for q in pois], mode="both", core=True)
    return np.unique(nodes).astype(np.int32)


def _occupations(persona, age, p: PopulationParams, rng) -> np.ndarray:
    n = len(persona)
    O = OCCUPATIONS.index
    u = rng.random(n)
    occ = np.full(n, O("unemployed"), np.int8)
    name = np.array(P.PERSONAS)[persona]
    g = np.array(AGE_GROUPS)[age]
    occ[g == "0-14"] = np.where(u[g == "0-14"] < p.children_in_school, O("pupil"), O("unemployed"))
    occ[g == "65+"] = O("retiree")
    youth = g == "15-24"
    occ[youth] = np.where(u[youth] < p.youth_in_education, O("student"),
                          np.where(u[youth] < p.youth_in_education + (1 - p.youth_in_education) * 0.6,
                                   O("worker"), O("unemployed")))
    adult = g == "25-64"
    rate = np.where(name == "disability", p.disability_employment_rate, p.employment_rate)
    occ[adult] = np.where(u[adult] < rate[adult], O("worker"), O("unemployed"))
    occ[name == "student"] = O("student")
    occ[np.isin(name, ["digital_worker", "small_business"]) & (g != "65+")] = O("worker")
    occ[name == "tourist"] = O("visitor")
    return occ


def _languages(persona, p: PopulationParams, rng) -> np.ndarray:
    n = len(persona)
    u = rng.random(n)
    lang = np.where(u < p.hungarian_share, 1, np.where(u < p.hungarian_share + p.english_share, 2, 0))
    tourist = persona == P.PERSONAS.index("tourist")
    lang[tourist] = np.where(rng.random(int(tourist.sum())) < p.tourist_english_share, 2, 0)
    return lang.astype(np.int8)


def _digital(persona, age, p: PopulationParams, rng) -> np.ndarray:
    name = np.array(P.PERSONAS)[persona]
    share = np.select([np.isin(name, ["digital_worker", "student", "small_business"]), name == "tourist",
                       name == "elderly_low_digital", name == "disability"],
                      [1.0, 0.9, 0.0, p.resident_digital_share], p.resident_digital_share)
    share = np.where(age == AGE_GROUPS.index("0-14"), 0.0, share)
    return rng.random(len(persona)) < share


def _households(resident: np.ndarray, p: PopulationParams, rng) -> tuple[np.ndarray, int]:
    """Household id per citizen (tourists get -1 here): random people grouped by drawn sizes."""
    n = len(resident)
    idx = np.nonzero(resident)[0]
    m = len(idx)
    sizes_k = np.array(sorted(p.household_sizes), np.int64)
    w = np.array([p.household_sizes[k] for k in sizes_k])
    mean = float((sizes_k * w).sum() / w.sum())
    sizes = rng.choice(sizes_k, size=int(m / mean * 1.2) + 10, p=w / w.sum())
    cum = np.cumsum(sizes)
    last = int(np.searchsorted(cum, m))
    hh_of_slot = np.repeat(np.arange(len(sizes)), sizes)[:m]
    out = np.full(n, -1, np.int32)
    out[rng.permutation(idx)] = hh_of_slot
    return out, (last + 1 if m else 0)


def _home_weights(city, nodes) -> tuple[np.ndarray, np.ndarray]:
    a = city.arrays
    hw = np.array([h in RESIDENTIAL_HIGHWAYS for h in city.highway_types] + [False])
    res_edge = hw[a["edge_highway"]]
    on_res = np.zeros(city.n_nodes, bool)
    on_res[a["edge_u"][res_edge]] = True
    on_res[a["edge_v"][res_edge]] = True
    cand = nodes[on_res[nodes]]
    if len(cand) < max(10, len(nodes) // 10):
        cand = nodes
    dist_of = a["node_district"][cand]
    w = np.ones(len(cand))
    pops = [d.population for d in city.districts]
    if city.districts and any(pops):
        # a district with a population tag shares it among its nodes; a district without one is
        # as dense per node as the tagged ones on average. (Filling unknown districts with the
        # mean *district* population instead put Brașov's 19 districts, of which one is tagged,
        # at equal totals: the 3 nodes of Șcheii Brașovului got 13,300 people, 4,400 a node,
        # whose cars then jammed one street for hours.)
        known = np.array([q or 0 for q in pops], float)
        counts = np.bincount(dist_of[dist_of >= 0], minlength=len(known)).astype(float)
        tagged = (known > 0) & (counts > 0)
        density = known[tagged].sum() / counts[tagged].sum() if tagged.any() else 1.0
        per_node = np.where(tagged, known / np.maximum(counts, 1), density)
        w = np.where(dist_of >= 0, per_node[np.maximum(dist_of, 0)], density)
    return cand, w


def _near_centre(city, nodes, k: int, rng) -> np.ndarray:
    """Lodgings of tourists: nodes weighted by closeness to the town hall (or the middle)."""
    a = city.arrays
    hall = [p for p in city.pois if p.kind == "townhall"]
    if hall:
        cx, cy = city.project(np.array([hall[0].lon]), np.array([hall[0].lat]))
        cx, cy = float(cx[0]), float(cy[0])
    else:
        cx, cy = float(np.median(a["node_x"][nodes])), float(np.median(a["node_y"][nodes]))
    d = np.hypot(a["node_x"][nodes] - cx, a["node_y"][nodes] - cy)
    w = np.exp(-d / 800.0)
    return rng.choice(nodes, size=k, p=w / w.sum()).astype(np.int32)


def _workplaces(city, nodes, home, occupation, p: PopulationParams, rng) -> np.ndarray:
    a = city.arrays
    n = len(home)
    out = np.full(n, -1, np.int32)
    O = OCCUPATIONS.index
    # workers
    workers = np.nonzero(occupation == O("worker"))[0]
    job = np.zeros(len(nodes), bool)
    lon, lat = a["node_lon"][nodes], a["node_lat"][nodes]
    for use in city.landuse:
        if use["kind"] in ("commercial", "retail", "industrial"):
            job |= shapely.intersects_xy(shapely.from_wkb(use["polygon"]), lon, lat)
    job |= np.isin(nodes, poi_nodes(city, JOB_POIS))
    anywhere = rng.choice(nodes, size=len(workers))
    if job.any():
        in_jobs = rng.choice(nodes[job], size=len(workers))
        out[workers] = np.where(rng.random(len(workers)) < p.work_in_job_areas, in_jobs, anywhere)
    else:
        out[workers] = anywhere
    # pupils: nearest school or kindergarten; students: a university or college
    schools = poi_nodes(city, ("school", "kindergarten"))
    pupils = np.nonzero(occupation == O("pupil"))[0]
    if len(schools):
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([a["node_x"][schools], a["node_y"][schools]]))
        _, j = tree.query(np.column_stack([a["node_x"][home[pupils]], a["node_y"][home[pupils]]]))
        out[pupils] = schools[j]
    else:
        out[pupils] = rng.choice(nodes, size=len(pupils))
    unis = poi_nodes(city, ("university", "college"))
    students = np.nonzero(occupation == O("student"))[0]
    pool = unis if len(unis) else (schools if len(schools) else nodes)
    out[students] = rng.choice(pool, size=len(students))
    return out


class Citizens:
    """The population of a run (component ``"population"``): synthesised when attached."""

    name = "population"

    def __init__(self, size: int, params: PopulationParams | None = None):
        if size < 0:
            raise ValueError(f"population must be >= 0, got {size}")
        self.size = int(size)
        self.params = params or PopulationParams()

    def attach(self, twin) -> None:
        self.pop = synthesize(twin.city, self.size, self.params, twin.rng.get("population"))

    def kpis(self) -> dict:
        pop = self.pop
        adults = pop.age > 0
        cars = int(pop.hh_cars.sum()) if pop.hh_cars is not None else int(len(np.unique(pop.household[pop.has_car])))
        return {"citizens": len(pop), "households": int(pop.n_households), "household_cars": cars,
                "household_cars_per_1000": round(1000 * cars / max(len(pop), 1), 1),
                "personas": {k: int(v) for k, v in zip(P.PERSONAS, np.bincount(pop.persona, minlength=len(P.PERSONAS)))},
                "occupations": {k: int(v) for k, v in zip(OCCUPATIONS, np.bincount(pop.occupation, minlength=len(OCCUPATIONS)))},
                "channels": {k: int(v) for k, v in zip(P.CHANNELS, np.bincount(pop.channel, minlength=len(P.CHANNELS)))},
                "languages": {k: int(v) for k, v in zip(P.LANGUAGES, np.bincount(pop.language, minlength=len(P.LANGUAGES)))},
                "digital_skills_15plus": round(float(pop.digital[adults].mean()), 4) if adults.any() else None,
                "with_access_needs": int((pop.access > 0).sum())}
