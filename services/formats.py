"""Open311 GeoReport v2 documents in JSON and XML.

GeoReport v2 names a format by the resource's suffix (``/services.xml``, ``/requests.json``).
XML documents start with the UTF-8 declaration and use the spec's element names: a list of
services is ``<services><service>…``, requests ``<service_requests><request>…``, a service
definition ``<service_definition>`` with ``<attributes><attribute>…<values><value>``, errors
``<errors><error><code/><description/></error></errors>``. Empty values are empty elements,
booleans ``true``/``false``.
"""
from __future__ import annotations

import json
import re
from xml.etree.ElementTree import Element, SubElement, tostring

# What XML 1.0 cannot carry (its ``Char`` production): C0 controls but tab, LF and CR, lone
# surrogates, U+FFFE and U+FFFF. The city hall refuses text holding any of them at intake
# (:func:`services.hall.check_text`); :func:`render` drops them again, so that no stored value
# can ever make a document that is not well-formed.
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# list root → item element
ROOTS = {"services": "service", "service_requests": "request", "errors": "error"}


def render(fmt: str, root: str, data) -> bytes:
    """Serialise ``data`` (a list of dicts for the list roots, a dict for ``service_definition``)."""
    if fmt == "json":
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:              # a lone surrogate: escape it (still valid JSON)
            return json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str).encode("ascii")
    el = Element(root)
    if root in ROOTS:
        for item in data:
            _fill(SubElement(el, ROOTS[root]), item)
    else:
        _fill(el, data)
    return b'<?xml version="1.0" encoding="utf-8"?>' + tostring(el, encoding="unicode").encode("utf-8")


def _fill(el: Element, value) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, list):                  # attributes → attribute, values → value
                box = SubElement(el, k)
                for a in v:
                    _fill(SubElement(box, k[:-1] if k.endswith("s") else "item"), a)
            else:
                _fill(SubElement(el, k), v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is None:
        pass
    else:
        el.text = _xml_safe(str(value))


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (:data:`NOT_XML_CHAR`; intake refuses them anyway)."""
    return NOT_XML_CHAR.sub("", text)


def service_entry(svc, lang: str = "en") -> dict:
    """A ``GET services`` entry."""
    return {"service_code": svc.code, "service_name": svc.ro if lang == "ro" else svc.en,
            "description": svc.description_en if lang != "ro" else svc.ro, "metadata": svc.metadata,
            "type": svc.type, "keywords": ", ".join(svc.keywords), "group": svc.group}


def service_definition(svc) -> dict:
    """A ``GET services/{code}`` document."""
    return {"service_code": svc.code, "attributes": [
        {"variable": a.variable, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": a.datatype_description or None, "order": k + 1, "description": a.description,
         "values": [{"key": key, "name": name} for key, name in a.values]}
        for k, a in enumerate(svc.attributes)]}
