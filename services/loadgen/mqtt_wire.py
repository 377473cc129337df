"""The few MQTT 3.1.1 packets a device fleet and its measuring side exchange, as bytes.

Why by hand, and not paho (which the rest of the twin uses): a load generator's cost per
message *is* its ceiling. paho spends ~150 µs of Python per QoS 1 message on this machine
(locks, a ``MQTTMessageInfo`` per publish, a wake-up byte on a socket pair, callback
dispatch) and gives every client a loop thread and a socket pair; the same PUBLISH written
as bytes costs ~45 µs, nearly all of it the kernel's (20,000 QoS 1 publishes on one
connection to a local mosquitto, both ways, measured for issue 17). The asyncio clients (``gmqtt``, ``aiomqtt`` — the latter wraps paho) do
not run under Locust, whose users are gevent greenlets. So the fleet speaks the protocol
itself, and only the parts of it a device or a subscriber needs:

* :func:`connect` (client id, clean session, keep-alive, **last will**, user name/password),
  :func:`publish` (QoS 0/1, retain, DUP), :func:`puback`, :func:`subscribe`, :func:`pingreq`,
  :func:`disconnect`;
* :class:`Reader`, an incremental parser: ``feed(bytes)`` returns the complete packets
  received so far as ``(type, flags, body)``, and :func:`parse_publish` splits a PUBLISH body.

Everything follows the OASIS MQTT 3.1.1 standard (section numbers in the docstrings); the
tests talk to a real mosquitto with it. The socket I/O is the caller's (gevent sockets in
:mod:`services.loadgen.mqtt_devices`, blocking ones in :mod:`services.loadgen.mqtt_sink`).
"""
from __future__ import annotations

import ssl
import struct

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 1, 2, 3, 4, 8, 9, 12, 13, 14
#: CONNACK return codes (3.2.2.3)
CONNACK_CODES = {0: "accepted", 1: "unacceptable protocol version", 2: "identifier rejected",
                 3: "server unavailable", 4: "bad user name or password", 5: "not authorized"}

_H = struct.Struct("!H")


def _length(n: int) -> bytes:
    """The Remaining Length, variable-length encoded (2.2.3)."""
    out = bytearray()
    while True:
        n, b = divmod(n, 128)
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _str(s: bytes) -> bytes:
    return _H.pack(len(s)) + s


def connect(client_id: str, *, clean: bool = True, keepalive: int = 60, will: tuple | None = None,
            username: str | None = None, password: str | None = None) -> bytes:
    """CONNECT (3.1); ``will`` is ``(topic, payload, qos, retain)``."""
    flags = 0x02 if clean else 0
    payload = _str(client_id.encode())
    if will is not None:
        topic, message, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _str(topic.encode()) + _str(message)
    if username is not None:
        flags |= 0x80
        payload += _str(username.encode())
        if password is not None:
            flags |= 0x40
            payload += _str(password.encode())
    body = b"\x00\x04MQTT\x04" + bytes([flags]) + _H.pack(keepalive) + payload
    return b"\x10" + _length(len(body)) + body


def publish(topic: bytes, payload: bytes, qos: int = 0, pid: int = 0, retain: bool = False,
            dup: bool = False) -> bytes:
    """PUBLISH (3.3); ``topic`` already UTF-8, ``pid`` the packet identifier (QoS 1)."""
    head = 0x30 | (qos << 1) | (0x01 if retain else 0) | (0x08 if dup else 0)
    body = _H.pack(len(topic)) + topic + (_H.pack(pid) if qos else b"") + payload
    return bytes([head]) + _length(len(body)) + body


_LENGTHS = [_length(n) for n in range(16384)]      # every one- and two-byte Remaining Length


def topic_head(topic: bytes) -> bytes:
    """``topic`` (UTF-8) as a PUBLISH carries it: length-prefixed — prepared once per topic for
    :func:`publish_to`."""
    return _H.pack(len(topic)) + topic


def publish_to(head: bytes, payload: bytes, qos: int = 0, pid: int = 0) -> bytes:
    """The same bytes as :func:`publish` (no retain, no DUP) to a topic prepared with
    :func:`topic_head`: the generator's hot path, about half of :func:`publish`'s cost."""
    if qos:
        n = len(head) + 2 + len(payload)
        return b"\x32" + (_LENGTHS[n] if n < 16384 else _length(n)) + head + _H.pack(pid) + payload
    n = len(head) + len(payload)
    return b"\x30" + (_LENGTHS[n] if n < 16384 else _length(n)) + head + payload


def puback(pid: int) -> bytes:
    """PUBACK (3.4)."""
    return b"\x40\x02" + _H.pack(pid)


def subscribe(pid: int, topics: list[tuple[str, int]]) -> bytes:
    """SUBSCRIBE (3.8) to ``[(filter, qos), …]``."""
    body = _H.pack(pid) + b"".join(_str(t.encode()) + bytes([q]) for t, q in topics)
    return b"\x82" + _length(len(body)) + body


def pingreq() -> bytes:
    """PINGREQ (3.12)."""
    return b"\xc0\x00"


def disconnect() -> bytes:
    """DISCONNECT (3.14): a clean goodbye, so the broker does not publish the will."""
    return b"\xe0\x00"


def parse_publish(flags: int, body: bytes) -> tuple[str, bytes, int, int]:
    """``(topic, payload, qos, pid)`` of a PUBLISH body (3.3.2)."""
    n = _H.unpack_from(body)[0]
    topic = body[2:2 + n].decode()
    qos = (flags >> 1) & 3
    if qos:
        return topic, body[4 + n:], qos, _H.unpack_from(body, 2 + n)[0]
    return topic, body[2 + n:], 0, 0


def await_connack(sock, reader: "Reader") -> tuple[bytes, list[tuple[int, int, bytes]]]:
    """Read from ``sock`` until the broker's first packet; return the CONNACK's body and the
    packets that came after it.

    Raises ``ConnectionResetError`` if the broker closes first and ``ValueError`` if its first
    packet is not a CONNACK (3.2). Whether the connection was accepted is the caller's to judge:
    ``body[1]`` is the return code (:data:`CONNACK_CODES`), ``body[0] & 1`` the session-present flag.
    """
    packets: list[tuple[int, int, bytes]] = []
    while not packets:
        data = sock.recv(4096)
        if not data:
            raise ConnectionResetError("closed before CONNACK")
        packets = reader.feed(data)
    typ, _flags, body = packets[0]
    if typ != CONNACK or len(body) < 2:
        raise ValueError(f"expected a CONNACK, got packet type {typ}")
    return body, packets[1:]


def tls_context(cfg: dict) -> ssl.SSLContext:
    """The TLS context of a load test's connections (``mqtts://``): the broker verified against
    ``cfg["ca_certs"]`` (or the system's CAs; not at all with ``tls_insecure``), and with
    ``certfile`` (and ``keyfile``, if the key is apart) a **client certificate** for a broker
    that requires one."""
    ctx = ssl.create_default_context(cafile=cfg.get("ca_certs") or None)
    if cfg.get("tls_insecure"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cfg.get("certfile"):
        ctx.load_cert_chain(cfg["certfile"], cfg.get("keyfile") or None)
    return ctx


class Reader:
    """An incremental parser of the packets arriving on one connection (2.2)."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, data: bytes) -> list[tuple[int, int, bytes]]:
        """Add ``data``; return the packets now complete, as ``(type, flags, body)``."""
        buf = self.buf + data if self.buf else data
        out = []
        i, end = 0, len(buf)
        while end - i >= 2:
            head = buf[i]
            n, mult, j = 0, 1, i + 1
            while True:
                if j >= end:
                    self.buf = buf[i:]
                    return out
                b = buf[j]
                n += (b & 0x7F) * mult
                mult *= 128
                j += 1
                if not b & 0x80:
                    break
                if mult > 128 ** 3:
                    raise ValueError("malformed MQTT remaining length")
            if j + n > end:
                break
            out.append((head >> 4, head & 0x0F, buf[j:j + n]))
            i = j + n
        self.buf = buf[i:]
        return out
