"""Locust user classes: the citizens of a simulated day, acting on an Open311 endpoint.

Each process (Locust's local runner, or one worker of a distributed run) plays its share of the
open-loop :class:`~services.loadgen.schedule.Schedule` (:meth:`Schedule.slice` by the worker's
index) through three kinds of citizens:

* :class:`Citizen` does whatever the schedule says next (what ``twin loadtest`` runs: every
  process can then play every kind of arrival of its share);
* :class:`Reporter` files reports (``POST requests``) and reads the status of the request it
  filed (``GET requests/{id}``, the id the server gave to the report of the same ``ref``; a
  request filed by another process is replaced by one filed here);
* :class:`Browser` searches open requests of a service (``GET requests``);
* :class:`Chatter` asks the assistant (``POST /chat``), paying taxes included.

The shipped locustfile runs :class:`Citizen` only: Locust's master does not give every worker
users of every class, so a worker without a ``Chatter`` would never send its share of chats. A
vendor's own locustfile may import the specialised classes (e.g. to give chats their own pool).

A user is a *server* of the schedule, not a citizen with a think time: it takes the next
arrival of its kind, sleeps until it is due, sends it, and takes the next. When every user of a
kind is busy, arrivals wait, and their latency, measured from the due time
(:class:`~services.loadgen.measure.Recorder`), shows it: the concurrency (``-u``, or
``--max-in-flight`` of ``twin loadtest``) bounds what is in flight, never what is offered.
Arrivals not sent by the end of the test's duration count as ``not_sent``; users stop by
themselves then, so a run is time-bounded without Locust's ``--run-time``.

Calls reuse each user's connection (HTTP keep-alive), unless the configuration's
``connection`` is ``"close"``: then every call asks for a new one, as ``ab`` without ``-k`` does
and as a city of different phones would (the server's keep-alive path is no longer what is
measured: uvicorn on plain asyncio with h11 answers a keep-alive POST several times slower
than the same POST on a fresh connection, measured for issue 17).

Every call carries the API key: reports and chats in the form/JSON body, reads as the
``api_key`` query parameter, so a vendor's key (with its own rate limit) is what the server
sees, not the anonymous per-address limit. Locust's own statistics (web UI, ``--csv``) see
every call too, named as in the report.
"""
from __future__ import annotations

import json
import random
import time
from urllib.parse import urlencode, urlsplit

import gevent
from locust import between, constant, task  # noqa: F401  (between: for vendors subclassing)
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

from services.loadgen.measure import Recorder
from services.loadgen.schedule import CHAT, FILE, OP_NAMES, SEARCH, STATUS, Schedule


class Plan:
    """One process's share of the schedule, its clock and what it measured.

    ``t0`` is the wall-clock time of the schedule's zero; arrivals are handed out per kind in
    due order by :meth:`take`.
    """

    def __init__(self, schedule: Schedule, cfg: dict, t0: float):
        self.s = schedule
        self.cfg = cfg
        self.t0 = t0
        self.end = t0 + schedule.duration_s
        self.rec = Recorder(t0)
        self.rec.scheduled = len(schedule)
        self.created: dict[str, str] = {}        # schedule ref -> the server's service_request_id
        self.ids: list[str] = []
        self.rng = random.Random(cfg.get("seed", 0))
        self._queues: dict[int, list[int]] = {}
        self._pos: dict[int, int] = {}

    def take(self, ops: tuple[int, ...]) -> int | None:
        """The index of the earliest arrival not yet taken among the kinds ``ops``, or ``None``
        when there is none left. Users of every class share one cursor per kind, so whatever
        classes run (``twin loadtest`` runs :class:`Citizen` only; a locustfile may mix them),
        each arrival is played once."""
        best, best_op = None, None
        for op in ops:
            q = self._queues.get(op)
            if q is None:
                q = self._queues[op] = [i for i, o in enumerate(self.s.op) if int(o) == op]
                self._pos[op] = 0
            k = self._pos[op]
            if k < len(q) and (best is None or self.s.t[q[k]] < self.s.t[best]):
                best, best_op = q[k], op
        if best is None:
            return None
        self._pos[best_op] += 1
        return best


#: the plan of this process, made at the start of a test (see services.loadgen.locustfile)
PLAN: Plan | None = None


class _Scheduled(FastHttpUser):
    """Plays the arrivals of :attr:`ops` (see the module docstring)."""

    abstract = True
    wait_time = constant(0)
    ops: tuple[int, ...] = ()
    network_timeout = 10.0
    connection_timeout = 10.0

    @task
    def act(self) -> None:
        plan = PLAN
        if plan is None:
            gevent.sleep(0.05)
            return
        i = plan.take(self.ops)
        if i is None:
            raise StopUser()
        due = plan.t0 + float(plan.s.t[i])
        delay = due - time.time()
        if delay > 0:
            gevent.sleep(delay)
        if time.time() >= plan.end:                 # the test's time is up: not sent
            raise StopUser()
        self.perform(plan, i, due)

    # ---- one arrival ------------------------------------------------------------------------
    def perform(self, plan: Plan, i: int, due: float) -> None:
        cfg, s = plan.cfg, plan.s
        base = cfg["url"].rstrip("/")
        key = cfg.get("api_key") or ""
        op = int(s.op[i])
        if op == STATUS:
            rid = plan.created.get(s.ref[i]) or (plan.rng.choice(plan.ids) if plan.ids else None)
            if rid is None:                          # nothing filed here yet: browse instead
                op = SEARCH
        name = OP_NAMES[op]
        if op == FILE:
            form = {"api_key": key, "service_code": s.code[i], "lat": f"{s.lat[i]:.6f}", "long": f"{s.lon[i]:.6f}",
                    "description": f"load test report {i}", "channel": "api"}
            for a, v in cfg.get("attributes", {}).get(s.code[i], {}).items():
                form[f"attribute[{a}]"] = v
            call = dict(method="POST", url=f"{base}/requests.json", data=urlencode(form).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        elif op == STATUS:
            call = dict(method="GET", url=f"{base}/requests/{rid}.json" + (f"?{urlencode({'api_key': key})}" if key else ""))
        elif op == SEARCH:
            codes = cfg.get("codes") or [""]
            params = {"service_code": s.code[i] or plan.rng.choice(codes), "status": "open"}
            if key:
                params["api_key"] = key
            call = dict(method="GET", url=f"{base}/requests.json?{urlencode(params)}")
        else:
            u = urlsplit(base)
            body = {"session_id": f"lt-{id(self):x}-{i}", "text": s.text[i] or "Bună ziua!",
                    "language": s.lang[i] or "ro"}
            if key:
                body["api_key"] = key
            call = dict(method="POST", url=f"{u.scheme}://{u.netloc}/chat", data=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json"})
        if cfg.get("connection") == "close":         # a new connection per call, as ab without -k
            call["headers"] = dict(call.get("headers") or {}, Connection="close")
        sent = time.time()
        plan.rec.on_sent(sent)
        with self.client.request(call.pop("method"), call.pop("url"), name=name, catch_response=True,
                                 **{k: v for k, v in call.items() if v is not None}) as resp:
            end = time.time()
            status = resp.status_code or 0
            if status == 0:
                err = getattr(resp, "error", None)
                plan.rec.on_error(name, type(err).__name__ if err is not None else "NoAnswer", end)
                resp.failure(str(err) if err else "no answer")
                return
            plan.rec.on_answer(name, due, sent, end, status)
            if status >= 400:
                resp.failure(f"HTTP {status}")
                return
            resp.success()
            if op == FILE:
                try:
                    rid = str(json.loads(resp.content)[0]["service_request_id"])
                except (ValueError, KeyError, IndexError, TypeError):
                    return
                plan.ids.append(rid)
                if s.ref[i]:
                    plan.created[s.ref[i]] = rid


class Citizen(_Scheduled):
    """A citizen of the day who does whatever the schedule says next: files a report, reads its
    status, browses or chats. ``twin loadtest open311`` runs this class only, so every process
    of a distributed run can play every kind of its share of the schedule."""

    ops = (FILE, STATUS, SEARCH, CHAT)


class Reporter(_Scheduled):
    """A citizen who files a report and, when the day says so, reads its status."""

    ops = (FILE, STATUS)


class Browser(_Scheduled):
    """A citizen (or a vendor's app) browsing open requests of a service."""

    ops = (SEARCH,)


class Chatter(_Scheduled):
    """A citizen asking the assistant, paying taxes by chat included."""

    ops = (CHAT,)


#: the specialised classes, for locustfiles that want separate pools (e.g. more users for chats);
#: they share the schedule's cursors with :class:`Citizen`, so a mix never plays an arrival twice
USER_CLASSES = (Citizen, Reporter, Browser, Chatter)
