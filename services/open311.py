"""The Open311 GeoReport v2 API of the city hall, as a FastAPI application.

Endpoints (under ``/open311/v2``; ``{fmt}`` is ``json`` or ``xml``):

========  ===============================  ==================================================
GET       ``/discovery.{fmt}``             service discovery (where the endpoint is, formats)
GET       ``/services.{fmt}``              the catalogue (``lang=ro`` for Romanian names)
GET       ``/services/{code}.{fmt}``       a service definition (its attributes)
POST      ``/requests.{fmt}``              create a request (form-encoded, ``api_key``)
GET       ``/requests.{fmt}``              search: ``service_request_id``, ``service_code``,
                                           ``start_date``, ``end_date``, ``status``
GET       ``/requests/{id}.{fmt}``         one request
GET       ``/tokens/{token}.{fmt}``        the request id for a token
========  ===============================  ==================================================

Extensions, outside GeoReport v2, under ``/open311/v2/ext``:

* ``POST /ext/requests/{id}/status.{fmt}`` — staff (a ``staff`` key) change a request's stage:
  ``stage`` (received, assigned, in_progress, resolved, rejected) and ``status_notes``;
* ``POST /ext/requests/{id}/feedback.{fmt}`` — a rating 1–5 (and ``comment``) after closure;
* ``GET /ext/requests/{id}/history.json`` — the status changes;
* ``GET /ext/stats.json`` — live counters.

Errors follow the spec: a list of ``{"code", "description"}`` (``<errors><error>`` in XML)
with HTTP 400 (bad or missing parameter), 403 (bad ``api_key`` or role), 404 (unknown
resource, service or jurisdiction), 409 (a change that does not apply), 413 (body too large),
429 (rate limit). The description names the parameter and the value. Nothing else about the
server (no stack trace) is ever returned. CORS is off unless origins are given.
"""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from services import catalogue as C
from services.errors import RequestError
from services.hall import _request_id
from services.formats import FORMATS, render, service_definition, service_entry
from services.security import RateLimiter, allows

log = logging.getLogger("services.open311")
ROOT = "/open311/v2"
MAX_BODY = 64 * 1024
FMT = Path(..., pattern="^(json|xml)$", description="Response format: json or xml")

POST_FIELDS = {
    "api_key": "Your API key (required)",
    "jurisdiction_id": "This server's jurisdiction id (optional)",
    "service_code": "A service_code from GET services (required)",
    "lat": "Latitude, WGS84 decimal degrees (or give address_string)",
    "long": "Longitude, WGS84 decimal degrees",
    "address_string": "A street address in the city",
    "address_id": "Not supported by this server",
    "email": "Your e-mail (kept apart, deleted after the retention period)",
    "device_id": "The device's id", "account_id": "Your account id", "first_name": "First name",
    "last_name": "Last name", "phone": "Phone number",
    "description": "What is wrong (at most 4000 characters)", "media_url": "URL of a photo",
}


class ChatIn(BaseModel):
    """A message to the citizen assistant."""

    session_id: str = Field(..., min_length=1, max_length=100)
    text: str = Field(..., max_length=10_000)
    language: str | None = Field(None, pattern="^(ro|en|hu)$")
    access_needs: list[str] = Field(default_factory=list, max_length=4)


def _form_schema(fields: dict, required: list[str]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": required,
        "properties": {k: {"type": "string", "description": d} for k, d in fields.items()},
        "additionalProperties": {"type": "string"}}}}}}


def create_app(hall, *, limiter: RateLimiter | None = None, anonymous_rate_per_min: int = 1200,
               cors_origins: list[str] | None = None, housekeeping_s: float | None = None, chatbot=None) -> FastAPI:
    """The API over a :class:`services.hall.CityHall`.

    Parameters
    ----------
    limiter
        Token buckets for the rate limits (a fresh :class:`RateLimiter` by default).
    anonymous_rate_per_min
        Rate limit of requests without a key, per client address (0: none).
    cors_origins
        Origins allowed to call the API from a browser; None keeps CORS off.
    housekeeping_s
        Every so many seconds, flag SLA breaches and apply the personal-data retention rule
        (None: never; the server sets it).
    chatbot
        A :class:`services.chatbot.bot.Chatbot` answering ``POST /chat``; None: no such route.
    """
    limiter = limiter or RateLimiter()

    @asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(_housekeeping(hall, housekeeping_s)) if housekeeping_s else None
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(title="SmartCity Twin — Open311 GeoReport v2", version="2",
                  description=__doc__.split("\n\n")[0], docs_url=f"{ROOT}/docs", openapi_url=f"{ROOT}/openapi.json",
                  redoc_url=None, lifespan=lifespan)
    app.state.hall = hall
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST"])

    def respond(fmt: str, root: str, data, status: int = 200, headers: dict | None = None) -> Response:
        fmt = fmt if fmt in FORMATS else "json"
        return Response(render(fmt, root, data), status_code=status, media_type=FORMATS[fmt],
                        headers={"X-Content-Type-Options": "nosniff", **(headers or {})})

    def error(fmt: str, code: int, description: str, headers: dict | None = None) -> Response:
        return respond(fmt, "errors", [{"code": code, "description": description}], code, headers)

    def fmt_of(request: Request) -> str:
        return "xml" if request.url.path.endswith(".xml") else "json"

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError):
        headers = {"Retry-After": "60"} if exc.code == 429 else None
        return error(fmt_of(request), exc.code, exc.description, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("path", "query", "body")]
            if loc == ["fmt"]:
                return error("json", 404, f"format {request.url.path.rsplit('.', 1)[-1]!r} is not served; "
                                          "use .json or .xml")
            parts.append(f"{'.'.join(loc) or 'request'}: {e.get('input')!r} — {e.get('msg')}")
        return error(fmt_of(request), 400, "; ".join(parts) or "bad request")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        text = {404: f"{request.url.path} not found; the API root is {ROOT}/ (see {ROOT}/discovery.json)",
                405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
        return error(fmt_of(request), exc.status_code, text)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(fmt_of(request), 500, "internal error; it has been logged")

    def throttle(request: Request, key_info: dict | None) -> None:
        if key_info is not None:
            ok = limiter.allow("key:" + key_info["name"], key_info["rate_per_min"])
        else:
            client = request.client.host if request.client else "unknown"
            ok = limiter.allow("ip:" + client, anonymous_rate_per_min)
        if not ok:
            raise RequestError("rate limit reached; slow down and retry in a minute", code=429)

    def authorise(params: dict, role: str) -> dict:
        key = params.get("api_key")
        if key in (None, ""):
            raise RequestError("is required for this call", code=403, field="api_key")
        info = hall.key_info(key)
        if info is None:
            raise RequestError("is not a valid key", code=403, field="api_key")
        if not allows(info["role"], role):
            raise RequestError(f"a {info['role']} key cannot do this; it needs the {role} role", code=403,
                               field="api_key")
        return info

    async def form_params(request: Request) -> list[tuple[str, str]]:
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
            raise RequestError(f"the body is larger than {MAX_BODY} bytes", code=413)
        body = await request.body()
        if len(body) > MAX_BODY:
            raise RequestError(f"the body is larger than {MAX_BODY} bytes", code=413)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        pairs = list(request.query_params.multi_items())
        if ctype in ("application/x-www-form-urlencoded", ""):
            try:
                text = body.decode("utf-8")
                pairs += parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
            except UnicodeDecodeError:
                raise RequestError("the body is not UTF-8 form data") from None
        elif ctype == "multipart/form-data":
            form = await request.form()
            for k, v in form.multi_items():
                if not isinstance(v, str):
                    raise RequestError("file uploads are not taken; give media_url", field=k)
                pairs.append((k, v))
        else:
            raise RequestError(f"content type {ctype!r} is not taken; send application/x-www-form-urlencoded",
                               code=400)
        return pairs

    def single(pairs: list[tuple[str, str]]) -> tuple[dict, dict]:
        params: dict = {}
        attributes: dict = {}
        for k, v in pairs:
            if k.startswith("attribute[") and k.endswith("]"):
                code = k[len("attribute["):-1].removesuffix("[]")
                attributes.setdefault(code, []).append(v)
            else:
                params[k] = v
        attributes = {k: (v[0] if len(v) == 1 else v) for k, v in attributes.items()}
        return params, attributes

    # ---- GeoReport v2 --------------------------------------------------------------------------
    @app.get(f"{ROOT}/discovery.{{fmt}}", tags=["open311"], summary="Service discovery")
    def discovery(request: Request, fmt: str = FMT):
        throttle(request, None)
        base = str(request.base_url).rstrip("/") + ROOT + "/"
        doc = {"changeset": "2026-11-21T00:00:00+02:00", "contact": "SmartCity Twin",
               "key_service": "Ask the city hall for an API key",
               "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                              "changeset": "2026-11-21T00:00:00+02:00", "type": "production",
                              "formats": ["application/json", "text/xml"]}]}
        return respond(fmt, "discovery", doc)

    @app.get(f"{ROOT}/services.{{fmt}}", tags=["open311"], summary="List the services")
    def services(request: Request, fmt: str = FMT, jurisdiction_id: str | None = None, lang: str = "en"):
        throttle(request, None)
        hall.check_jurisdiction(jurisdiction_id)
        return respond(fmt, "services", [service_entry(s, lang) for s in C.SERVICES.values()])

    @app.get(f"{ROOT}/services/{{service_code}}.{{fmt}}", tags=["open311"], summary="A service definition")
    def definition(request: Request, service_code: str, fmt: str = FMT, jurisdiction_id: str | None = None):
        throttle(request, None)
        hall.check_jurisdiction(jurisdiction_id)
        svc = hall.service(service_code)
        return respond(fmt, "service_definition", service_definition(svc))

    @app.post(f"{ROOT}/requests.{{fmt}}", tags=["open311"], summary="Create a service request",
              openapi_extra=_form_schema(POST_FIELDS, ["api_key", "service_code"]))
    async def create(request: Request, fmt: str = FMT):
        params, attributes = single(await form_params(request))
        info = authorise(params, "client")
        throttle(request, info)
        if params.get("address_id") not in (None, ""):
            raise RequestError("is not supported here; give lat/long or address_string", field="address_id",
                               value=params["address_id"])
        contact = {k: params.get(k) for k in ("first_name", "last_name", "email", "phone", "device_id", "account_id")
                   if params.get(k) not in (None, "")}
        sub = hall.submit(params.get("service_code"), lat=params.get("lat"), lon=params.get("long"),
                          address=params.get("address_string"), description=params.get("description"),
                          attributes=attributes, media_url=params.get("media_url"), contact=contact,
                          channel=params.get("channel") or "api", source="api",
                          jurisdiction_id=params.get("jurisdiction_id"))
        return respond(fmt, "service_requests", [{"service_request_id": str(sub.id), "service_notice": sub.notice,
                                                  "account_id": None}], status=201)

    @app.get(f"{ROOT}/requests.{{fmt}}", tags=["open311"], summary="Search service requests")
    def search(request: Request, fmt: str = FMT, jurisdiction_id: str | None = None,
               service_request_id: str | None = None, service_code: str | None = None,
               start_date: str | None = None, end_date: str | None = None, status: str | None = None):
        throttle(request, None)
        rows = hall.query(ids=service_request_id, service_code=service_code, start=start_date, end=end_date,
                          status=status, jurisdiction_id=jurisdiction_id)
        return respond(fmt, "service_requests", rows)

    @app.get(f"{ROOT}/requests/{{service_request_id}}.{{fmt}}", tags=["open311"], summary="One service request")
    def one(request: Request, service_request_id: str, fmt: str = FMT, jurisdiction_id: str | None = None):
        throttle(request, None)
        hall.check_jurisdiction(jurisdiction_id)
        return respond(fmt, "service_requests", [hall.get(service_request_id)])

    @app.get(f"{ROOT}/tokens/{{token}}.{{fmt}}", tags=["open311"], summary="The request id of a token")
    def token(request: Request, token: str, fmt: str = FMT, jurisdiction_id: str | None = None):
        throttle(request, None)
        hall.check_jurisdiction(jurisdiction_id)
        return respond(fmt, "service_requests", [hall.token(token)])

    # ---- extensions ---------------------------------------------------------------------------
    @app.post(f"{ROOT}/ext/requests/{{service_request_id}}/status.{{fmt}}", tags=["extensions"],
              summary="Staff: change a request's stage",
              openapi_extra=_form_schema({"api_key": "A staff key", "stage": "New stage",
                                          "status_notes": "Note to the citizen"}, ["api_key", "stage"]))
    async def set_status(request: Request, service_request_id: str, fmt: str = FMT):
        params, _ = single(await form_params(request))
        info = authorise(params, "staff")
        throttle(request, info)
        rid = _request_id(service_request_id)
        hall.set_stage(rid, params.get("stage"), params.get("status_notes"), by=info["name"])
        return respond(fmt, "service_requests", [hall.get(rid)])

    @app.post(f"{ROOT}/ext/requests/{{service_request_id}}/feedback.{{fmt}}", tags=["extensions"],
              summary="Rate a closed request",
              openapi_extra=_form_schema({"api_key": "Your API key", "rating": "1 to 5", "comment": "Optional"},
                                         ["api_key", "rating"]))
    async def feedback(request: Request, service_request_id: str, fmt: str = FMT):
        params, _ = single(await form_params(request))
        info = authorise(params, "client")
        throttle(request, info)
        rid = _request_id(service_request_id)
        hall.feedback(rid, params.get("rating"), params.get("comment"))
        return respond(fmt, "service_requests", [{"service_request_id": str(rid), "rating": int(params["rating"])}])

    @app.get(f"{ROOT}/ext/requests/{{service_request_id}}/history.json", tags=["extensions"],
             summary="The status changes of a request")
    def history(request: Request, service_request_id: str):
        throttle(request, None)
        rec = hall.get(service_request_id)
        return respond("json", "history", hall.history(int(rec["service_request_id"])))

    @app.get(f"{ROOT}/ext/stats.json", tags=["extensions"], summary="Live counters")
    def stats(request: Request):
        throttle(request, None)
        return respond("json", "stats", hall.counts())

    if chatbot is not None:
        @app.post("/chat", tags=["chatbot"], summary="Talk to the citizen assistant")
        def chat(request: Request, body: ChatIn):
            throttle(request, None)
            out = chatbot.reply(body.session_id, body.text,
                                {"language": body.language or "ro", "access_needs": body.access_needs})
            return Response(json.dumps(out, ensure_ascii=False, default=str), media_type="application/json")

    return app


async def _housekeeping(hall, every_s: float) -> None:
    while True:
        try:
            await asyncio.to_thread(hall.mark_breaches)
            await asyncio.to_thread(hall.purge_personal_data)
        except Exception:                      # keep serving; the next round retries
            log.exception("housekeeping failed")
        await asyncio.sleep(every_s)
