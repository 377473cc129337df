"""The open-loop arrival schedule: *when* each citizen acts, *what* they do and *where*.

A load test is **open-loop** when arrival *k* is due at a time fixed in advance, whatever
happened to the earlier ones: a slow server then meets the same demand a city would send it,
and its queueing shows up as latency (measured from the due time, see
:mod:`services.loadgen.measure`) instead of silently lowering the offered rate, as a closed loop
("send, wait for the answer, think, send again") does.

A :class:`Schedule` is a set of parallel arrays, one entry per arrival, sorted by ``t`` (seconds
from the start of the test):

``op``
    what the citizen does: :data:`FILE` (``POST requests``: a report), :data:`STATUS`
    (``GET requests/{id}``: reading the status of a request), :data:`SEARCH` (``GET requests``:
    browsing open requests of a service) or :data:`CHAT` (``POST /chat``: a question to the
    assistant, including paying taxes by chat);
``lon``/``lat``, ``code``
    where a report is and its Open311 service code;
``ref``
    links a status read to the report it reads (the same ``ref`` as the report's), so a
    citizen reads the request *they* filed;
``text``/``lang``
    what a chatting citizen asks.

Two sources:

* :func:`from_events` — a simulated day: a run's ``events.parquet`` gives the mix, the time of
  day and the geography. ``request_received`` is a report; ``request_in_progress``,
  ``request_closed`` and ``notification`` about a request send its citizen to read its status;
  ``chat_question`` is a chat; ``tax_payment`` is a citizen paying by chat. With ``speed`` alone
  the events are replayed one for one, ``speed`` times faster (``speed=60``: a city hour a
  minute). With ``rate`` the day's profile is the *intensity*: arrivals are drawn from a
  non-homogeneous Poisson process whose rate follows the events per minute of the replayed
  window, scaled to ``rate`` a second on average, each a copy of a real event of its minute.
* :func:`synthetic` — ``rate`` arrivals a second, evenly spaced or a Poisson process, with ``post_share`` reports (at random
  points of the city) and the rest split between searches and status reads, as
  ``twin loadtest open311`` did before Locust.

:meth:`Schedule.slice` deals the arrivals round-robin to the workers of a distributed run, so
together they play exactly the schedule one process would.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FILE, STATUS, SEARCH, CHAT = 0, 1, 2, 3
#: the operation names used in the report (the first three are those of the pre-Locust tool)
OP_NAMES = {FILE: "POST requests", STATUS: "GET requests/{id}", SEARCH: "GET requests", CHAT: "POST chat"}

#: what a citizen types for each chatbot intent of the event log (Romanian, the city's language)
CHAT_TEXTS = {
    "transport_schedule": "La ce oră vine autobuzul 5 în stația Centru?",
    "office_info": "Care este programul primăriei?",
    "documents_info": "Ce acte îmi trebuie pentru buletin?",
    "tax_info": "Cât am de plată la impozitul pe clădire?",
    "request_status": "Care e stadiul sesizării mele?",
    "permit_verify": "Este valabilă autorizația AC-2026-16?",
    "greeting": "Bună ziua!",
    "out_of_scope": "Ce film rulează la cinema?",
    "tax_payment": "Vreau să plătesc impozitul pe clădire.",
}
_STATUS_KINDS = ("request_in_progress", "request_closed", "notification")


@dataclass
class Schedule:
    """Arrivals sorted by due time ``t`` (seconds from the start); see the module docstring."""

    t: np.ndarray
    op: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    code: list[str]
    ref: list[str]
    text: list[str]
    lang: list[str]
    duration_s: float
    source: str = "synthetic"
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)

    @property
    def offered_rate(self) -> float:
        """Arrivals a second over the test's duration."""
        return len(self) / self.duration_s if self.duration_s else 0.0

    def mix(self) -> dict[str, int]:
        """Arrivals by operation name."""
        return {OP_NAMES[o]: int(n) for o, n in zip(*np.unique(self.op, return_counts=True))}

    def slice(self, index: int, count: int) -> Schedule:
        """The arrivals of worker ``index`` of ``count`` (every ``count``-th, starting at ``index``)."""
        if not 0 <= index < count:
            raise ValueError(f"worker index must be in [0, {count}), got {index}")
        sel = np.arange(index, len(self), count)
        pick = lambda xs: [xs[i] for i in sel]
        return Schedule(self.t[sel], self.op[sel], self.lon[sel], self.lat[sel], pick(self.code),
                        pick(self.ref), pick(self.text), pick(self.lang), self.duration_s, self.source,
                        dict(self.meta, worker=index, workers=count))


def _check(rate: float | None, duration_s: float, speed: float | None) -> None:
    if rate is not None and not rate > 0:
        raise ValueError(f"rate must be > 0 arrivals/s, got {rate}")
    if not duration_s > 0:
        raise ValueError(f"duration must be > 0 s, got {duration_s}")
    if speed is not None and not speed > 0:
        raise ValueError(f"speed must be > 0 (60 = a city hour a minute), got {speed}")


def synthetic(rate: float, duration_s: float, points: np.ndarray, codes: list[str], *, post_share: float = 0.5,
              seed: int = 0, arrivals: str = "uniform") -> Schedule:
    """``rate`` arrivals a second for ``duration_s``: reports at random ``points`` (``(n, 2)``
    lon/lat) for random service ``codes`` with probability ``post_share``, otherwise a search or a
    status read, half and half. ``arrivals="uniform"`` sends arrival *k* at ``k / rate`` (as ``ab``
    and the tool before Locust did: the fairest for comparing rates); ``"poisson"`` draws
    independent arrivals (bursts, as from many independent citizens)."""
    _check(rate, duration_s, None)
    if not 0 <= post_share <= 1:
        raise ValueError(f"post_share must be in [0, 1], got {post_share}")
    if arrivals not in ("uniform", "poisson"):
        raise ValueError(f"arrivals must be uniform or poisson, got {arrivals!r}")
    if not codes:
        raise ValueError("the endpoint lists no services to report to")
    rng = np.random.default_rng(seed)
    if arrivals == "uniform":
        n = int(round(rate * duration_s))
        t = np.arange(n) / rate
    else:
        n = int(rng.poisson(rate * duration_s))
        t = np.sort(rng.uniform(0.0, duration_s, n))
    r = rng.random(n)
    op = np.where(r < post_share, FILE, np.where(r < post_share + (1 - post_share) / 2, SEARCH, STATUS)).astype(np.int8)
    at = rng.integers(len(points), size=n)
    code = [codes[i] for i in rng.integers(len(codes), size=n)]
    return Schedule(t, op, points[at, 0].astype(float), points[at, 1].astype(float), code, [""] * n, [""] * n,
                    ["ro"] * n, duration_s, "synthetic",
                    {"rate": rate, "post_share": post_share, "seed": seed, "arrivals": arrivals})


def _load_events(path: Path) -> dict:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if not path.exists():
        raise ValueError(f"events file {path} does not exist (give a run's events.parquet or its folder)")
    try:
        tab = pq.read_table(path, columns=["t", "kind", "ref", "lon", "lat", "payload"])
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a file that is not an event log
        raise ValueError(f"events file {path} is not a run's event log: {exc}") from None
    kinds = ("request_received", "chat_question", "tax_payment") + _STATUS_KINDS
    tab = tab.filter(pc.is_in(tab["kind"], value_set=__import__("pyarrow").array(kinds)))
    return tab.to_pydict()


def from_events(path: str | Path, duration_s: float, *, speed: float | None = None, rate: float | None = None,
                start_h: float | None = None, seed: int = 0) -> Schedule:
    """The schedule of a simulated day (see the module docstring).

    Parameters
    ----------
    path
        A run's ``events.parquet`` or its run folder.
    duration_s
        Length of the test in wall seconds; arrivals due later are not scheduled.
    speed
        City seconds per wall second (default 60 with ``rate`` unset; only shapes the profile
        when ``rate`` is given).
    rate
        Mean arrivals a second; ``None`` replays the events one for one.
    start_h
        City hour at which the replay starts (default: the first event's hour).
    seed
        Seeds the draws of the scaled schedule.
    """
    _check(rate, duration_s, speed)
    p = Path(path)
    if p.is_dir():
        p = p / "events.parquet"
    ev = _load_events(p)
    speed = 60.0 if speed is None else float(speed)
    rows = []
    for t, kind, ref, lon, lat, payload in zip(ev["t"], ev["kind"], ev["ref"], ev["lon"], ev["lat"], ev["payload"]):
        pl = json.loads(payload or "{}")
        if kind == "request_received":
            if lon is None or lat is None or not np.isfinite(lon) or not np.isfinite(lat):
                continue
            rows.append((t, FILE, lon, lat, pl.get("service_code", ""), ref or "", "", "ro"))
        elif kind in _STATUS_KINDS:
            rid = ref if (ref or "").startswith("request:") else pl.get("request") and f"request:{pl['request']}"
            if rid:
                rows.append((t, STATUS, np.nan, np.nan, "", rid, "", "ro"))
        elif kind == "chat_question":
            text = CHAT_TEXTS.get(pl.get("intent", ""), CHAT_TEXTS["greeting"])
            rows.append((t, CHAT, np.nan, np.nan, "", "", text, pl.get("lang") or "ro"))
        elif kind == "tax_payment" and pl.get("channel") in ("chatbot", "online", "web", "app"):
            rows.append((t, CHAT, np.nan, np.nan, "", "", CHAT_TEXTS["tax_payment"], pl.get("lang") or "ro"))
    if not rows:
        raise ValueError(f"events file {p} has no citizen actions to replay (reports, status reads, chats)")
    rows.sort(key=lambda r: r[0])
    city_t = np.array([r[0] for r in rows])
    first = float(city_t[0]) if start_h is None else float(start_h) * 3600.0
    window = duration_s * speed                                   # city seconds the test covers
    meta = {"events": str(p), "speed": speed, "start_h": round(first / 3600.0, 3)}
    if rate is None:                                              # one for one, speed times faster
        keep = np.flatnonzero((city_t >= first) & (city_t < first + window))
        pick = [rows[i] for i in keep]
        wall = (city_t[keep] - first) / speed
        src = "events"
    else:                                                         # the day's profile, scaled to rate
        rng = np.random.default_rng(seed)
        in_win = np.flatnonzero((city_t >= first) & (city_t < first + window))
        if len(in_win) == 0:                                      # a quiet window: use the whole day's mix
            in_win = np.arange(len(rows))
            weights = np.ones(1)
            bins = [in_win]
        else:
            minute = ((city_t[in_win] - first) // 60).astype(int)
            nbins = max(1, int(np.ceil(window / 60)))
            bins = [in_win[minute == b] for b in range(nbins)]
            weights = np.array([len(b) for b in bins], dtype=float)
        n = int(rng.poisson(rate * duration_s))
        which = rng.choice(len(bins), size=n, p=weights / weights.sum())
        width = duration_s / len(bins)
        wall = np.sort(which * width + rng.uniform(0, width, n)) if len(bins) > 1 else np.sort(rng.uniform(0, duration_s, n))
        which = np.sort(which) if len(bins) > 1 else which
        pick = []
        for k, b in enumerate(which):
            src_row = rows[int(rng.choice(bins[b]))]
            # a scaled copy is a new report: its status reads point at copies filed earlier
            pick.append(src_row[:5] + (f"{src_row[5]}#{k}" if src_row[1] == FILE else src_row[5],) + src_row[6:])
        src = "events-scaled"
        meta["rate"] = rate
    if src == "events-scaled":                                    # status reads read a copy filed before
        last_copy: dict[str, str] = {}
        fixed = []
        for r in pick:
            if r[1] == FILE:
                last_copy[r[5].split("#")[0]] = r[5]
                fixed.append(r)
            elif r[1] == STATUS:
                fixed.append(r[:5] + (last_copy.get(r[5], r[5]),) + r[6:])
            else:
                fixed.append(r)
        pick = fixed
    n = len(pick)
    return Schedule(np.asarray(wall, dtype=float), np.array([r[1] for r in pick], dtype=np.int8),
                    np.array([r[2] for r in pick], dtype=float), np.array([r[3] for r in pick], dtype=float),
                    [r[4] for r in pick], [r[5] for r in pick], [r[6] for r in pick], [r[7] for r in pick],
                    duration_s, src, meta) if n else Schedule(
        np.zeros(0), np.zeros(0, np.int8), np.zeros(0), np.zeros(0), [], [], [], [], duration_s, src, meta)


def from_config(cfg: dict) -> Schedule:
    """The schedule a run's configuration (:func:`services.loadgen.runner.prepare`) describes:
    a simulated day when ``cfg["events"]`` is set, else the synthetic mix over ``cfg["points"]``.
    Every process of a distributed run builds the same schedule from the same configuration."""
    if cfg.get("events"):
        return from_events(cfg["events"], cfg["duration_s"], speed=cfg.get("speed"), rate=cfg.get("rate"),
                           start_h=cfg.get("start_h"), seed=cfg.get("seed", 0))
    return synthetic(cfg["rate"], cfg["duration_s"], np.asarray(cfg["points"], dtype=float), list(cfg["codes"]),
                     post_share=cfg.get("post_share", 0.5), seed=cfg.get("seed", 0),
                     arrivals=cfg.get("arrivals", "uniform"))
