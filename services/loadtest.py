"""``twin loadtest open311``: drive any Open311 endpoint at a chosen rate and report what it did.

The load is **open-loop**: request *k* is sent at ``k / rate`` seconds whatever happened to
the earlier ones (a closed loop would slow down with the server and hide its queueing). Each
request is ``POST requests`` (a report at a random point of the city, for a random service the
endpoint lists, its required attributes filled in) with probability ``post_share``, otherwise
``GET requests`` (a search by service code and status) or ``GET requests/{id}`` of a request
created earlier. At most ``max_in_flight`` requests are outstanding; a request that would exceed
it is counted as ``not_sent`` (the client, not the server, was the limit).

The report gives the offered and achieved rate, latency percentiles per operation (from send to
the end of the answer), answers by HTTP status, and errors (timeouts, refused connections).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LoadResult:
    url: str
    rate: float
    duration_s: float
    sent: int = 0
    not_sent: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    status: dict[str, dict[int, int]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0

    def summary(self) -> dict:
        ok = sum(n for st in self.status.values() for c, n in st.items() if c < 400)
        done = sum(len(v) for v in self.latencies.values())
        ops = {}
        for op, v in sorted(self.latencies.items()):
            a = np.asarray(v) * 1000
            ops[op] = {"n": int(len(a)), "p50_ms": _p(a, 50), "p95_ms": _p(a, 95), "p99_ms": _p(a, 99),
                       "max_ms": round(float(a.max()), 2) if len(a) else None,
                       "status": {str(k): n for k, n in sorted(self.status.get(op, {}).items())}}
        return {"url": self.url, "offered_rate": self.rate, "duration_s": self.duration_s,
                "wall_s": round(self.wall_s, 2), "sent": self.sent, "not_sent": self.not_sent,
                "completed": done, "ok": ok, "achieved_rate": round(done / self.wall_s, 1) if self.wall_s else 0.0,
                "ok_rate": round(ok / self.wall_s, 1) if self.wall_s else 0.0,
                "errors": self.errors, "operations": ops}


def _p(a, q):
    return round(float(np.percentile(a, q)), 2) if len(a) else None


async def _run(url: str, api_key: str | None, rate: float, duration_s: float, points: np.ndarray,
               post_share: float, seed: int, max_in_flight: int, timeout_s: float) -> LoadResult:
    import httpx

    base = url.rstrip("/")
    res = LoadResult(url=base, rate=rate, duration_s=duration_s)
    rng = np.random.default_rng(seed)
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as http:
        try:
            first = await http.get(f"{base}/services.json")
        except httpx.HTTPError as exc:
            raise ConnectionError(f"cannot reach {base}/services.json: {exc or type(exc).__name__}") from None
        try:
            services = first.json()
            assert isinstance(services, list) and all("service_code" in s for s in services)
        except (ValueError, AssertionError, TypeError):
            raise ValueError(f"{base}/services.json did not answer an Open311 service list "
                             f"(HTTP {first.status_code})") from None
        defs = {}
        for s in services:
            if s.get("metadata"):
                d = (await http.get(f"{base}/services/{s['service_code']}.json")).json()
                defs[s["service_code"]] = {a["code"]: a["values"][0]["key"] for a in d.get("attributes", [])
                                           if a.get("required") and a.get("values")}
        codes = [s["service_code"] for s in services]
        created: list[str] = []
        in_flight = 0

        async def one(k: int):
            nonlocal in_flight
            r = rng.random()
            if r < post_share or not created:
                op = "POST requests"
                code = codes[int(rng.integers(len(codes)))]
                lon, lat = points[int(rng.integers(len(points)))]
                form = {"api_key": api_key or "", "service_code": code, "lat": f"{lat:.6f}", "long": f"{lon:.6f}",
                        "description": f"load test request {k}"}
                for a, v in defs.get(code, {}).items():
                    form[f"attribute[{a}]"] = v
                call = http.post(f"{base}/requests.json", data=form)
            elif r < post_share + (1 - post_share) / 2:
                op = "GET requests"
                call = http.get(f"{base}/requests.json",
                                params={"service_code": codes[int(rng.integers(len(codes)))], "status": "open"})
            else:
                op = "GET requests/{id}"
                call = http.get(f"{base}/requests/{created[int(rng.integers(len(created)))]}.json")
            t = time.perf_counter()
            try:
                ans = await call
                res.latencies.setdefault(op, []).append(time.perf_counter() - t)
                st = res.status.setdefault(op, {})
                st[ans.status_code] = st.get(ans.status_code, 0) + 1
                if op == "POST requests" and ans.status_code < 300:
                    body = ans.json()
                    if body and body[0].get("service_request_id"):
                        created.append(str(body[0]["service_request_id"]))
            except httpx.HTTPError as exc:
                name = type(exc).__name__
                res.errors[name] = res.errors.get(name, 0) + 1
            finally:
                in_flight -= 1

        tasks = []
        t0 = time.perf_counter()
        n = int(rate * duration_s)
        for k in range(n):
            delay = t0 + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight >= max_in_flight:
                res.not_sent += 1
                continue
            in_flight += 1
            res.sent += 1
            tasks.append(asyncio.create_task(one(k)))
        if tasks:
            await asyncio.gather(*tasks)
        res.wall_s = time.perf_counter() - t0
    return res


def run_loadtest(url: str, *, rate: float, duration_s: float = 10.0, api_key: str | None = None,
                 city: str = "demo", post_share: float = 0.5, seed: int = 0, max_in_flight: int = 256,
                 timeout_s: float = 10.0) -> dict:
    """Run the load test (see the module docstring) and return its summary."""
    from twin.city import load_city

    if not rate > 0:
        raise ValueError(f"rate must be > 0 requests/s, got {rate}")
    if not duration_s > 0:
        raise ValueError(f"duration must be > 0 s, got {duration_s}")
    if not 0 <= post_share <= 1:
        raise ValueError(f"post_share must be in [0, 1], got {post_share}")
    c = load_city(city)
    core = c.core_nodes("both")
    pts = np.column_stack([c.arrays["node_lon"][core], c.arrays["node_lat"][core]])
    res = asyncio.run(_run(url, api_key, rate, duration_s, pts, post_share, seed, max_in_flight, timeout_s))
    return res.summary()
