"""An Open311 GeoReport v2 client (httpx), for our server or any other.

:class:`Open311Client` speaks the spec's JSON format: ``services()``, ``definition(code)``,
``submit(...)`` (form-encoded ``POST requests.json``), ``get(id)``, ``query(**filters)``,
``token(token)``, and our extensions ``set_stage(id, stage, notes)`` (a staff key) and
``feedback(id, rating)``. A 4xx/5xx answer raises :class:`services.errors.RequestError` with
the server's code and description.

The twin uses it when run with ``--services-url``: the same citizens then file over HTTP
(:class:`HttpBackend`), which is how a vendor's endpoint is exercised.
"""
from __future__ import annotations

import httpx

from services.errors import RequestError


class Open311Client:
    """A synchronous client of one Open311 endpoint (``base_url`` ends with ``/v2`` or so)."""

    def __init__(self, base_url: str, api_key: str | None = None, staff_key: str | None = None,
                 jurisdiction_id: str | None = None, timeout: float = 10.0):
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.staff_key = staff_key
        self.jurisdiction_id = jurisdiction_id
        self.http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _check(self, r: httpx.Response):
        if r.status_code >= 400:
            try:
                body = r.json()
                desc = body[0]["description"] if isinstance(body, list) and body else r.text
            except (ValueError, KeyError, TypeError, IndexError):
                desc = r.text[:300]
            raise RequestError(f"{r.request.method} {r.request.url.path}: {desc}", code=r.status_code)
        return r.json()

    def _params(self, **kw) -> dict:
        out = {k: v for k, v in kw.items() if v is not None}
        if self.jurisdiction_id:
            out["jurisdiction_id"] = self.jurisdiction_id
        return out

    def services(self) -> list[dict]:
        return self._check(self.http.get(f"{self.base}/services.json", params=self._params()))

    def definition(self, code: str) -> dict:
        return self._check(self.http.get(f"{self.base}/services/{code}.json", params=self._params()))

    def submit(self, service_code: str, *, lat=None, lon=None, address=None, description=None,
               attributes: dict | None = None, **contact) -> dict:
        """POST a request; returns the first item of the answer (``service_request_id`` or
        ``token``, ``service_notice``)."""
        form = self._params(api_key=self.api_key, service_code=service_code, lat=lat, long=lon,
                            address_string=address, description=description, **contact)
        for k, v in (attributes or {}).items():
            form[f"attribute[{k}]"] = v
        return self._check(self.http.post(f"{self.base}/requests.json", data=form))[0]

    def get(self, request_id) -> dict:
        return self._check(self.http.get(f"{self.base}/requests/{request_id}.json", params=self._params()))[0]

    def query(self, **filters) -> list[dict]:
        return self._check(self.http.get(f"{self.base}/requests.json", params=self._params(**filters)))

    def token(self, token: str) -> dict:
        return self._check(self.http.get(f"{self.base}/tokens/{token}.json", params=self._params()))[0]

    def set_stage(self, request_id, stage: str, notes: str | None = None) -> dict:
        form = {"api_key": self.staff_key or self.api_key, "stage": stage}
        if notes:
            form["status_notes"] = notes
        return self._check(self.http.post(f"{self.base}/ext/requests/{request_id}/status.json", data=form))[0]

    def feedback(self, request_id, rating: int, comment: str | None = None) -> dict:
        form = {"api_key": self.api_key, "rating": str(rating)}
        if comment:
            form["comment"] = comment
        return self._check(self.http.post(f"{self.base}/ext/requests/{request_id}/feedback.json", data=form))[0]
