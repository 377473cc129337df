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
server (no stack trace, never the body it was sent) is ever returned. CORS is off unless origins
are given.

**Hardening.** Every request body is bounded (:data:`MAX_BODY`; 413 before the app reads it);
JSON bodies (``POST /chat``) go through :func:`twin.untrusted.loads` (size and nesting checked
before parsing); a 405 names the allowed methods in ``Allow``; the OpenAPI document lists every
status each route returns, in JSON and XML; the interactive docs are served from files shipped
with the ``fastapi-offline`` package, so they work with no internet.

**The assistant** (``POST /chat``, when a chatbot is given) follows the write endpoints' key
rules: anyone may ask (rate-limited per address, like the read endpoints), but only a
conversation that carries a valid ``client`` key (``api_key`` in the JSON body or the query)
may file a request, apply for a permit or pay; without one, the assistant says a key is needed
and does nothing. An ``api_key`` that is given and not valid is a 403, as on the write endpoints.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services import catalogue as C
from services.errors import RequestError, _shorten
from services.formats import FORMATS, render, service_definition, service_entry
from services.hall import _request_id
from services.security import RateLimiter, allows
from twin.untrusted import UntrustedJSONError
from twin.untrusted import loads as untrusted_loads

log = logging.getLogger("services.open311")
ROOT = "/open311/v2"
MAX_BODY = 64 * 1024            # every request body, any route (413 above it)
MAX_CHAT_DEPTH = 4              # a chat message is a flat object with one short list
FMT = Path(..., pattern="^(json|xml)$", description="Response format: json or xml")
DOCS_STATIC = f"{ROOT}/docs/static"

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

    model_config = ConfigDict(extra="forbid")
    session_id: str = Field(..., min_length=1, max_length=100, description="Your conversation's id")
    text: str = Field(..., max_length=10_000, description="What you say")
    language: str | None = Field(None, pattern="^(ro|en|hu)$", description="ro, en or hu (default ro)")
    access_needs: list[str] = Field(default_factory=list, max_length=4,
                                    description='e.g. ["plain_language"]')
    api_key: str | None = Field(None, max_length=200,
                                description="A client key; needed to file requests, apply for permits or pay")


# ---- what the OpenAPI document says each route returns ------------------------------------------
ERRORS_SCHEMA = {"type": "array", "items": {"type": "object", "required": ["code", "description"], "properties": {
    "code": {"type": "integer"}, "description": {"type": "string"}}}}
XML = {"schema": {"type": "string", "description": "The same document in Open311 XML"}}
_ANY = {"type": ["string", "number", "boolean", "null", "object", "array"]}
_RECORDS = {"type": "array", "items": {"type": "object", "additionalProperties": _ANY}}
_SERVICES = {"type": "array", "items": {"type": "object", "required": ["service_code", "service_name"],
                                        "additionalProperties": _ANY}}
_OBJECT = {"type": "object", "additionalProperties": _ANY}
_CHAT_OUT = {"type": "object", "required": ["intent", "confidence", "text", "actions"], "properties": {
    "intent": {"type": "string"}, "confidence": {"type": "number"}, "slots": {"type": "object"},
    "text": {"type": "string"}, "actions": {"type": "array", "items": {"type": "object"}},
    "lang": {"type": "string"}, "awaiting": {"type": ["string", "null"]}}}
ERROR_TEXT = {400: "Bad or missing parameter (the description names it and its value)",
              403: "Missing, invalid or under-privileged api_key",
              404: "Unknown resource, service, jurisdiction or format",
              405: "Method not allowed on this path (see the Allow header)",
              409: "A change that does not apply to the request in its present state",
              413: "Request body larger than 64 KiB",
              429: "Rate limit reached (see Retry-After)"}


def _responses(ok: int, ok_schema: dict, errors: tuple[int, ...], xml: bool = True) -> dict:
    """``responses=`` for a route: the success code and each error code it really returns, each
    in JSON (and Open311 XML, for the routes with a ``{fmt}`` suffix)."""
    def content(schema):
        return {"application/json": {"schema": schema}, **({"text/xml": XML} if xml else {})}

    out = {ok: {"description": "Created" if ok == 201 else "OK", "content": content(ok_schema)}}
    for code in errors:
        out[code] = {"description": ERROR_TEXT[code], "content": content(ERRORS_SCHEMA)}
        if code == 429:
            out[code]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}}
    return out


class _BodyLimit:
    """ASGI middleware: no request body larger than ``max_bytes`` reaches the app.

    A ``Content-Length`` above the limit is answered 413 at once, without reading; a body sent
    without one (chunked) is read up to the limit and refused as soon as it passes it. The body
    is never repeated in the answer. What passes is handed on unchanged.
    """

    def __init__(self, app, max_bytes: int, too_large):
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = too_large          # (scope, text) -> Response

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        size = dict(scope.get("headers") or ()).get(b"content-length")
        if size is not None and (not size.isdigit() or int(size) > self.max_bytes):
            return await self.too_large(scope, int(size) if size.isdigit() else None)(scope, receive, send)
        chunks, got = [], 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                break                                   # the client went away; let the app see it
            body = msg.get("body", b"")
            got += len(body)
            if got > self.max_bytes:
                return await self.too_large(scope, None)(scope, receive, send)
            chunks.append(body)
            if not msg.get("more_body", False):
                msg = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break
        first = [msg]

        async def replay():
            return first.pop() if first else await receive()

        await self.app(scope, replay, send)


def _form_schema(fields: dict, required: list[str]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": required,
        "properties": {k: {"type": "string", "description": d} for k, d in fields.items()},
        "additionalProperties": {"type": "string"}}}}}}


def create_app(hall, *, limiter: RateLimiter | None = None, anonymous_rate_per_min: int = 1200,
               cors_origins: list[str] | None = None, housekeeping_s: float | None = None, chatbot=None,
               on_shutdown=()) -> FastAPI:
    """The API over a :class:`services.hall.CityHall`.

    Parameters
    ----------
    limiter
        Token buckets for the rate limits (a fresh :class:`RateLimiter` by default).
    anonymous_rate_per_min
        Rate limit of requests without a key, per client address (0: none). A read that
        carries ``api_key`` in its query is limited by that key's own rate instead.
    cors_origins
        Origins allowed to call the API from a browser; None keeps CORS off.
    housekeeping_s
        Every so many seconds, flag SLA breaches and apply the personal-data retention rule
        (None: never; the server sets it).
    chatbot
        A :class:`services.chatbot.bot.Chatbot` answering ``POST /chat``; None: no such route.
    on_shutdown
        Functions called (in a worker thread) when the server stops, e.g. anchoring the chat
        payments still queued (:meth:`services.server.BatchAnchor.stop`).
    """
    limiter = limiter or RateLimiter()

    @asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(_housekeeping(hall, housekeeping_s)) if housekeeping_s else None
        yield
        if task is not None:
            task.cancel()
        for fn in on_shutdown:
            try:
                await asyncio.to_thread(fn)
            except Exception:                  # noqa: BLE001 - the others still run
                log.exception("shutdown step %r failed", fn)

    app = FastAPI(title="SmartCity Twin — Open311 GeoReport v2", version="2",
                  description=__doc__.split("\n\n")[0], docs_url=None, openapi_url=f"{ROOT}/openapi.json",
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

    def fmt_of(request) -> str:
        return "xml" if request.url.path.endswith(".xml") else "json"

    def too_large(scope, size: int | None) -> Response:
        path = scope.get("path", "")
        said = f" ({size:,} bytes)" if size is not None else ""
        return error("xml" if path.endswith(".xml") else "json", 413,
                     f"the request body{said} is larger than the {MAX_BODY:,} bytes allowed")

    app.add_middleware(_BodyLimit, max_bytes=MAX_BODY, too_large=too_large)

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
                return error("json", 404, f"format {request.url.path.rsplit('.', 1)[-1][:20]!r} is not served; "
                                          "use .json or .xml")
            parts.append((loc, e))
        return error(fmt_of(request), 400, _problems(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        headers = None
        if exc.status_code == 405:
            allowed = _allowed_methods(app, request.scope)
            headers = {"Allow": ", ".join(allowed)}
            text = f"{request.method} is not allowed on {request.url.path}; use {' or '.join(allowed)}"
        elif exc.status_code == 404:
            text = f"{request.url.path} not found; the API root is {ROOT}/ (see {ROOT}/discovery.json)"
        else:
            text = str(exc.detail)
        return error(fmt_of(request), exc.status_code, text, headers)

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

    def reader(request: Request) -> dict | None:
        """The key of a read, when the caller gives one (``api_key`` in the query): its own rate
        limit then applies, not the anonymous per-address one (a vendor's app reading statuses
        behind one address is one client, not an anonymous crowd). A key given and not valid is a
        403, as on the write endpoints."""
        key = request.query_params.get("api_key")
        return None if key in (None, "") else authorise({"api_key": key}, "client")

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
    @app.get(f"{ROOT}/discovery.{{fmt}}", tags=["open311"], summary="Service discovery",
             responses=_responses(200, _OBJECT, (404, 429)))
    def discovery(request: Request, fmt: str = FMT):
        throttle(request, reader(request))
        base = str(request.base_url).rstrip("/") + ROOT + "/"
        doc = {"changeset": "2026-11-21T00:00:00+02:00", "contact": "SmartCity Twin",
               "key_service": "Ask the city hall for an API key",
               "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                              "changeset": "2026-11-21T00:00:00+02:00", "type": "production",
                              "formats": ["application/json", "text/xml"]}]}
        return respond(fmt, "discovery", doc)

    @app.get(f"{ROOT}/services.{{fmt}}", tags=["open311"], summary="List the services",
             responses=_responses(200, _SERVICES, (404, 429)))
    def services(request: Request, fmt: str = FMT, jurisdiction_id: str | None = None, lang: str = "en"):
        throttle(request, reader(request))
        hall.check_jurisdiction(jurisdiction_id)
        return respond(fmt, "services", [service_entry(s, lang) for s in C.SERVICES.values()])

    @app.get(f"{ROOT}/services/{{service_code}}.{{fmt}}", tags=["open311"], summary="A service definition",
             responses=_responses(200, _OBJECT, (404, 429)))
    def definition(request: Request, service_code: str, fmt: str = FMT, jurisdiction_id: str | None = None):
        throttle(request, reader(request))
        hall.check_jurisdiction(jurisdiction_id)
        svc = hall.service(service_code)
        return respond(fmt, "service_definition", service_definition(svc))

    @app.post(f"{ROOT}/requests.{{fmt}}", tags=["open311"], summary="Create a service request", status_code=201,
              openapi_extra=_form_schema(POST_FIELDS, ["api_key", "service_code"]),
              responses=_responses(201, _RECORDS, (400, 403, 404, 413, 429)))
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

    @app.get(f"{ROOT}/requests.{{fmt}}", tags=["open311"], summary="Search service requests",
             responses=_responses(200, _RECORDS, (400, 404, 429)))
    def search(request: Request, fmt: str = FMT, jurisdiction_id: str | None = None,
               service_request_id: str | None = None, service_code: str | None = None,
               start_date: str | None = None, end_date: str | None = None, status: str | None = None):
        throttle(request, reader(request))
        rows = hall.query(ids=service_request_id, service_code=service_code, start=start_date, end=end_date,
                          status=status, jurisdiction_id=jurisdiction_id)
        return respond(fmt, "service_requests", rows)

    @app.get(f"{ROOT}/requests/{{service_request_id}}.{{fmt}}", tags=["open311"], summary="One service request",
             responses=_responses(200, _RECORDS, (400, 404, 429)))
    def one(request: Request, service_request_id: str, fmt: str = FMT, jurisdiction_id: str | None = None):
        throttle(request, reader(request))
        hall.check_jurisdiction(jurisdiction_id)
        return respond(fmt, "service_requests", [hall.get(service_request_id)])

    @app.get(f"{ROOT}/tokens/{{token}}.{{fmt}}", tags=["open311"], summary="The request id of a token",
             responses=_responses(200, _RECORDS, (400, 404, 429)))
    def token(request: Request, token: str, fmt: str = FMT, jurisdiction_id: str | None = None):
        throttle(request, reader(request))
        hall.check_jurisdiction(jurisdiction_id)
        return respond(fmt, "service_requests", [hall.token(token)])

    # ---- extensions ---------------------------------------------------------------------------
    @app.post(f"{ROOT}/ext/requests/{{service_request_id}}/status.{{fmt}}", tags=["extensions"],
              summary="Staff: change a request's stage",
              openapi_extra=_form_schema({"api_key": "A staff key", "stage": "New stage",
                                          "status_notes": "Note to the citizen"}, ["api_key", "stage"]),
              responses=_responses(200, _RECORDS, (400, 403, 404, 409, 413, 429)))
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
                                         ["api_key", "rating"]),
              responses=_responses(200, _RECORDS, (400, 403, 404, 409, 413, 429)))
    async def feedback(request: Request, service_request_id: str, fmt: str = FMT):
        params, _ = single(await form_params(request))
        info = authorise(params, "client")
        throttle(request, info)
        rid = _request_id(service_request_id)
        hall.feedback(rid, params.get("rating"), params.get("comment"))
        return respond(fmt, "service_requests", [{"service_request_id": str(rid), "rating": int(params["rating"])}])

    @app.get(f"{ROOT}/ext/requests/{{service_request_id}}/history.json", tags=["extensions"],
             summary="The status changes of a request",
             responses=_responses(200, _RECORDS, (400, 404, 429), xml=False))
    def history(request: Request, service_request_id: str):
        throttle(request, reader(request))
        rec = hall.get(service_request_id)
        return respond("json", "history", hall.history(int(rec["service_request_id"])))

    @app.get(f"{ROOT}/ext/stats.json", tags=["extensions"], summary="Live counters",
             responses=_responses(200, _OBJECT, (429,), xml=False))
    def stats(request: Request):
        throttle(request, reader(request))
        return respond("json", "stats", hall.counts())

    if chatbot is not None:
        @app.post("/chat", tags=["chatbot"], summary="Talk to the citizen assistant",
                  openapi_extra={"requestBody": {"required": True, "content": {
                      "application/json": {"schema": ChatIn.model_json_schema()}}}},
                  responses=_responses(200, _CHAT_OUT, (400, 403, 413, 429), xml=False))
        async def chat(request: Request):
            body = parse_chat(await request.body(), request)
            key = body.api_key or request.query_params.get("api_key")
            info = authorise({"api_key": key}, "client") if key not in (None, "") else None
            throttle(request, info)
            out = await run_in_threadpool(chatbot.reply, body.session_id, body.text, {
                "language": body.language or "ro", "access_needs": body.access_needs, "may_act": info is not None})
            return Response(render("json", "chat", out), media_type=FORMATS["json"])

    @app.get(f"{ROOT}/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url=f"{ROOT}/openapi.json", title=f"{app.title} — docs",
                                   swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})

    from fastapi.staticfiles import StaticFiles

    app.mount(DOCS_STATIC, StaticFiles(directory=_swagger_ui_files()), name="docs-static")

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _documented(get_openapi(title=app.title, version=app.version,
                                                         description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi
    return app


def parse_chat(raw: bytes, request=None) -> ChatIn:
    """A ``POST /chat`` body as a :class:`ChatIn`, or a :class:`RequestError` (413 too large, 400
    otherwise) naming the field; the body goes through :func:`twin.untrusted.loads` first.

    ``request`` (optional) is checked for a JSON content type."""
    if request is not None:
        ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if ctype not in ("application/json", ""):
            raise RequestError(f"content type {ctype[:60]!r} is not taken; send application/json", field="body")
    try:
        data = untrusted_loads(raw, max_bytes=MAX_BODY, max_depth=MAX_CHAT_DEPTH, what="body")
    except UntrustedJSONError as exc:
        raise RequestError(exc.reason, code=413 if exc.too_large else 400, field="body") from None
    if not isinstance(data, dict):
        raise RequestError('must be a JSON object such as {"session_id": "1", "text": "hello"}', field="body")
    try:
        return ChatIn.model_validate(data)
    except ValidationError as exc:
        raise RequestError(_problems([([str(x) for x in e.get("loc", ())], e) for e in exc.errors()]),
                           field=None) from None


def _problem(loc: list[str], e: dict) -> str:
    """One validation problem: the field, the value (shortened: never a whole body) and why."""
    shown = _shorten(e.get("input"), 40) if "input" in e else None
    where = _shorten(".".join(loc), 40).strip("'") if loc else "body"
    return f"{where}: {shown} — {e.get('msg')}" if shown is not None else f"{where}: {e.get('msg')}"


def _problems(items: list[tuple[list[str], dict]], most: int = 3) -> str:
    """The first ``most`` problems, and how many more there are (an answer stays short)."""
    text = "; ".join(_problem(loc, e) for loc, e in items[:most])
    return text + (f"; and {len(items) - most} more" if len(items) > most else "") if text else "bad request"


def _allowed_methods(app, scope) -> list[str]:
    """Every method some route takes on this path (for a 405's ``Allow``)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match in (Match.PARTIAL, Match.FULL):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods) or ["GET"]


def _swagger_ui_files() -> str:
    """The folder of Swagger UI's JavaScript and CSS, as shipped by the ``fastapi-offline`` package."""
    from importlib.resources import files

    return str(files("fastapi_offline") / "static")


# the formats the city hall checks (services.hall), stated in the document for clients and fuzzers
PARAMETER_SCHEMAS = {
    ("path", "service_request_id"): {"type": "string", "pattern": "^[0-9]{1,10}$"},
    ("query", "service_request_id"): {"type": "string", "pattern": "^( *[0-9]{1,10} *(, *[0-9]{1,10} *)*)?$",
                                      "description": "Request ids, comma-separated (they override the other filters)"},
    ("query", "status"): {"type": "string", "pattern": "^( *(open|closed) *(, *(open|closed) *)*)?$",
                          "description": "open, closed, or both comma-separated"},
    ("query", "start_date"): {"type": "string", "description": "W3C date and time (ISO 8601), e.g. "
                                                               "2026-03-02T08:00:00+02:00; local time if no offset"},
    ("query", "end_date"): {"type": "string", "description": "W3C date and time, not before start_date"},
    ("query", "lang"): {"type": "string", "default": "en", "description": "ro: Romanian names; anything else: English"},
}


def _documented(doc: dict) -> dict:
    """The OpenAPI document as the API behaves: FastAPI adds a 422 to every route with
    parameters, but this API answers bad parameters with Open311's 400 (and an unknown
    ``{fmt}`` with 404), so the 422s and their schemas go; the parameters the city hall checks
    get their formats (:data:`PARAMETER_SCHEMAS`)."""
    for path in doc.get("paths", {}).values():
        for op in path.values():
            if isinstance(op, dict):
                op.get("responses", {}).pop("422", None)
                for prm in op.get("parameters", ()):
                    known = PARAMETER_SCHEMAS.get((prm.get("in"), prm.get("name")))
                    if known is not None:
                        prm["schema"] = {k: v for k, v in known.items() if k != "description"}
                        if "description" in known:
                            prm["description"] = known["description"]
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return doc


async def _housekeeping(hall, every_s: float) -> None:
    while True:
        try:
            await asyncio.to_thread(hall.mark_breaches)
            await asyncio.to_thread(hall.purge_personal_data)
        except Exception:                      # keep serving; the next round retries
            log.exception("housekeeping failed")
        await asyncio.sleep(every_s)
