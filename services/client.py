"""An Open311 GeoReport v2 client (httpx), for our server or any other.

:class:`Open311Client` speaks the spec's JSON format: ``services()``, ``definition(code)``,
``submit(...)`` (form-encoded ``POST requests.json``), ``get(id)``, ``query(**filters)``,
``token(token)``, and our extensions ``set_stage(id, stage, notes)`` (a staff key) and
``feedback(id, rating)``. A 4xx answer raises :class:`services.errors.RequestError` with the
server's code and description; a connection error, 5xx or 429 is retried (below).

The twin uses it when run with ``--services-url``: the same citizens then file over HTTP
(:class:`services.component.HttpBackend`), which is how a vendor's endpoint is exercised.

**Delivery.** A request that meets a connection error (refused, reset, timed out), a 5xx or
a 429 is sent again, up to ``retries`` times, after a back-off that doubles from
``backoff_s`` to at most ``max_backoff_s`` — or after the server's ``Retry-After`` (seconds or
an HTTP date, capped at ``max_retry_after_s``). Every request is counted: ``delivered`` (the
server gave an answer, 2xx or 4xx), ``retried`` (re-sends), ``failed`` (given up: not
delivered). When the retries run out, :class:`ServiceUnreachable` (a
:class:`twin.errors.TwinError`) names ``--services-url``, the URL, the reason and these
counts, so a run stops cleanly instead of carrying on without its city hall. A re-sent
``POST`` whose first answer was lost on the way may be filed twice (at-least-once); the city
hall's de-duplication of reports within 50 m then merges the pair.

:meth:`Open311Client.check` asks for the catalogue once before a run starts, so that an
unreachable or wrong URL is reported at once, as bad input.
"""
from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from services.errors import RequestError
from twin import untrusted
from twin.errors import TwinError
from twin.untrusted import UntrustedJSONError


class ServiceUnreachable(TwinError):
    """The Open311 endpoint given by ``--services-url`` cannot be used: unreachable, or still
    failing after every retry. The message names the option, the URL, the reason and how
    many requests were delivered, retried and not delivered (exit code 2)."""


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date
    (RFC 9110 §10.2.3); None if absent or unreadable, never negative.

    >>> retry_after_s("3")
    3.0
    >>> retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0)
    10.0
    """
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _shown(url: str) -> str:
    """``url`` as it may be printed: a password in it replaced by ``***``."""
    u = urlsplit(url)
    if u.password is None:
        return url
    return u._replace(netloc=u.netloc.replace(f":{u.password}@", ":***@", 1)).geturl()


def _why(exc: httpx.TransportError) -> str:
    """The reason of a transport error in a few words."""
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "refused" in text.lower():
            return "connection refused"
        return f"cannot connect ({text or type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection"
    return f"{type(exc).__name__}: {exc}"


class Open311Client:
    """A synchronous client of one Open311 endpoint (``base_url`` ends with ``/v2`` or so).

    Parameters
    ----------
    base_url
        The Open311 root, ``http(s)://host[:port]/…/v2``; anything else is a
        :class:`twin.errors.TwinError` naming ``--services-url``.
    retries, backoff_s, max_backoff_s, max_retry_after_s
        How hard to try before giving up on a request (see the module docstring): by default
        5 re-sends over about 8 s.
    sleep
        Called with the seconds to wait between attempts (tests pass a recorder).
    transport
        An httpx transport (tests pass :class:`httpx.MockTransport`).
    """

    def __init__(self, base_url: str, api_key: str | None = None, staff_key: str | None = None,
                 jurisdiction_id: str | None = None, timeout: float = 10.0, *, retries: int = 5,
                 backoff_s: float = 0.25, max_backoff_s: float = 4.0, max_retry_after_s: float = 30.0,
                 sleep=time.sleep, transport: httpx.BaseTransport | None = None):
        u = urlsplit(str(base_url))
        if u.scheme not in ("http", "https") or not u.hostname:
            raise TwinError(f"--services-url {base_url!r}: give the Open311 root as an http(s) URL, "
                            f"e.g. http://127.0.0.1:8311/open311/v2")
        self.base = str(base_url).rstrip("/")
        self.api_key = api_key
        self.staff_key = staff_key
        self.jurisdiction_id = jurisdiction_id
        if int(retries) < 0:
            raise ValueError(f"retries: {retries} — must be 0 or more")
        self.retries = int(retries)
        self.backoff_s = float(backoff_s)
        self.max_backoff_s = float(max_backoff_s)
        self.max_retry_after_s = float(max_retry_after_s)
        self._sleep = sleep
        self.delivered = 0
        self.retried = 0
        self.failed = 0
        self.http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self.http.close()

    def stats(self) -> dict:
        """Requests ``delivered`` (answered), ``retried`` (re-sends) and ``failed`` (not delivered)."""
        return {"delivered": self.delivered, "retried": self.retried, "failed": self.failed}

    def _send(self, method: str, url: str, attempts: int | None = None, **kw) -> httpx.Response:
        """Send one request, again on a connection error, a 5xx or a 429 (see the module
        docstring); the answer, or :class:`ServiceUnreachable` once the retries are spent."""
        retries = self.retries if attempts is None else attempts - 1
        t0 = time.monotonic()
        for attempt in range(retries + 1):
            wait = None
            try:
                r = self.http.request(method, url, **kw)
            except httpx.UnsupportedProtocol:
                raise TwinError(f"--services-url {self.base!r}: not an http(s) URL") from None
            except httpx.TransportError as exc:
                why = _why(exc)
            else:
                if r.status_code < 500 and r.status_code != 429:
                    self.delivered += 1
                    return r
                why = f"HTTP {r.status_code}"
                wait = retry_after_s(r.headers.get("retry-after"))
            if attempt == retries:
                break
            self.retried += 1
            delay = min(self.max_backoff_s, self.backoff_s * 2 ** attempt)
            if wait is not None:
                delay = min(max(delay, wait), self.max_retry_after_s)
            self._sleep(delay)
        self.failed += 1
        path = url[len(self.base):] if url.startswith(self.base) else url
        raise ServiceUnreachable(
            f"--services-url {_shown(self.base)}: {method} {path} failed {retries + 1} times over "
            f"{time.monotonic() - t0:.1f} s ({why}); {self.failed:,} request(s) not delivered, "
            f"{self.delivered:,} delivered, {self.retried:,} retried")

    def check(self, attempts: int = 3) -> None:
        """Make sure the endpoint answers as an Open311 root (its catalogue), before a run.

        Raises
        ------
        ServiceUnreachable
            Nobody answers (after ``attempts`` tries), or the server keeps failing.
        twin.errors.TwinError
            Something answers, but not with an Open311 catalogue (a wrong path, say).
        """
        url = f"{self.base}/services.json"
        try:
            r = self._send("GET", url, attempts=attempts, params=self._params())
        except ServiceUnreachable as exc:
            raise ServiceUnreachable(f"{exc} — is an Open311 server running there?") from None
        try:
            ok = r.status_code == 200 and isinstance(_json(r), list)
        except ValueError:
            ok = False
        if not ok:
            raise TwinError(f"--services-url {_shown(self.base)}: GET services.json answered HTTP {r.status_code} "
                            f"without an Open311 catalogue; give the Open311 root, e.g. "
                            f"http://127.0.0.1:8311/open311/v2")

    def _check(self, r: httpx.Response):
        if r.status_code >= 400:
            try:
                body = _json(r)
                desc = body[0]["description"] if isinstance(body, list) and body else r.text
            except (ValueError, KeyError, TypeError, IndexError):
                desc = r.text[:300]
            raise RequestError(f"{r.request.method} {r.request.url.path}: {desc}", code=r.status_code)
        try:
            return _json(r)
        except UntrustedJSONError as exc:
            raise RequestError(f"{r.request.method} {r.request.url.path}: {exc}", code=r.status_code) from None

    def _params(self, **kw) -> dict:
        out = {k: v for k, v in kw.items() if v is not None}
        if self.jurisdiction_id:
            out["jurisdiction_id"] = self.jurisdiction_id
        return out

    def services(self) -> list[dict]:
        return self._check(self._send("GET", f"{self.base}/services.json", params=self._params()))

    def definition(self, code: str) -> dict:
        return self._check(self._send("GET", f"{self.base}/services/{code}.json", params=self._params()))

    def submit(self, service_code: str, *, lat=None, lon=None, address=None, description=None,
               attributes: dict | None = None, **contact) -> dict:
        """POST a request; returns the first item of the answer (``service_request_id`` or
        ``token``, ``service_notice``)."""
        form = self._params(api_key=self.api_key, service_code=service_code, lat=lat, long=lon,
                            address_string=address, description=description, **contact)
        for k, v in (attributes or {}).items():
            form[f"attribute[{k}]"] = v
        return self._check(self._send("POST", f"{self.base}/requests.json", data=form))[0]

    def get(self, request_id) -> dict:
        return self._check(self._send("GET", f"{self.base}/requests/{request_id}.json", params=self._params()))[0]

    def query(self, **filters) -> list[dict]:
        return self._check(self._send("GET", f"{self.base}/requests.json", params=self._params(**filters)))

    def token(self, token: str) -> dict:
        return self._check(self._send("GET", f"{self.base}/tokens/{token}.json", params=self._params()))[0]

    def set_stage(self, request_id, stage: str, notes: str | None = None) -> dict:
        form = {"api_key": self.staff_key or self.api_key, "stage": stage}
        if notes:
            form["status_notes"] = notes
        return self._check(self._send("POST", f"{self.base}/ext/requests/{request_id}/status.json", data=form))[0]

    def feedback(self, request_id, rating: int, comment: str | None = None) -> dict:
        form = {"api_key": self.api_key, "rating": str(rating)}
        if comment:
            form["comment"] = comment
        return self._check(self._send("POST", f"{self.base}/ext/requests/{request_id}/feedback.json", data=form))[0]


#: the largest answer the client reads from a server (a catalogue or a page of requests)
MAX_ANSWER_BYTES = 8 << 20


def _json(r: httpx.Response):
    """A server's JSON answer, read through the untrusted-JSON guard (a server is outside too)."""
    return untrusted.loads(r.content, max_bytes=MAX_ANSWER_BYTES, max_depth=16, what="the server's answer")
