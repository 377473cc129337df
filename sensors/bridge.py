"""The MQTT bridge: the twin's bus and its devices' telemetry on a real broker, commands back.

:class:`MqttBridge` (component ``"mqtt"``) is a paho-mqtt 2 client
(``CallbackAPIVersion.VERSION2``, MQTT 3.1.1) with its network loop in a background thread.

* **Out.** Every bus event is published on its own topic (``city/<slug>/...``) as JSON; a batch
  of events (trips) goes as **one** message, a JSON array (packing). Device telemetry — SenML
  packs from :class:`sensors.component.Sensors` — goes to
  ``city/<slug>/<type>/<id>/telemetry``; device states are published **retained** on
  ``.../state`` so a dashboard that connects later sees every device's last state.
* **In.** It subscribes to ``city/<slug>/+/+/cmd`` and queues what arrives for the sensors,
  which apply it at their next tick.
* **Delivery.** QoS 0 or 1. At QoS 1 paho keeps every message until the broker acknowledges it
  and re-sends the unacknowledged ones after a reconnect; the bridge reconnects by itself
  (1–8 s back-off). QoS 0 messages produced while the broker is away wait in an offline buffer
  and go out on reconnection. **Back-pressure**: when more than ``max_pending`` messages are
  unacknowledged (or buffered), publishing blocks until the broker catches up, so memory stays
  bounded and nothing is dropped; ``max_buffer`` caps how long a broker may be away.
* **Start.** The broker must answer within ``connect_timeout_s``; otherwise
  :class:`BridgeError` says which URL, and why (refused, unknown host, bad credentials, TLS).
* **Stop.** :meth:`shutdown` waits (``drain_timeout_s``) until every QoS 1 message is
  acknowledged, then disconnects.

URLs: ``mqtt://[user[:password]@]host[:1883]`` or ``mqtts://host[:8883]`` (TLS; ``ca_certs``
for a private CA, ``tls_insecure`` to skip the host name check in tests).
"""
from __future__ import annotations

import json
import math
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from twin.errors import TwinError


class BridgeError(TwinError):
    """The broker cannot be used (the message names the URL and the reason)."""


@dataclass(frozen=True)
class BrokerURL:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_url(url: str) -> BrokerURL:
    """Parse ``mqtt://`` / ``mqtts://`` URLs (BridgeError naming the URL if malformed)."""
    if not isinstance(url, str) or "://" not in url:
        raise BridgeError(f"--mqtt {url!r}: give a URL such as mqtt://127.0.0.1:1883")
    u = urlsplit(url)
    if u.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise BridgeError(f"--mqtt {url!r}: the scheme must be mqtt:// or mqtts://, not {u.scheme}://")
    if not u.hostname:
        raise BridgeError(f"--mqtt {url!r}: no host")
    tls = u.scheme in ("mqtts", "ssl")
    try:
        port = u.port or (8883 if tls else 1883)
    except ValueError:
        raise BridgeError(f"--mqtt {url!r}: the port must be a number from 1 to 65535") from None
    if u.path not in ("", "/"):
        raise BridgeError(f"--mqtt {url!r}: a broker URL has no path ({u.path!r})")
    return BrokerURL(u.hostname, port, tls, unquote(u.username) if u.username else None,
                     unquote(u.password) if u.password else None)


class MqttParams(BaseModel):
    """How the bridge talks to the broker."""

    model_config = ConfigDict(extra="forbid")
    url: str
    qos: int = Field(1, ge=0, le=1)
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    tls_insecure: bool = False
    client_id: str | None = None
    max_pending: int = Field(1000, ge=1)
    max_buffer: int = Field(5_000_000, ge=1)
    connect_timeout_s: float = Field(5.0, gt=0)
    drain_timeout_s: float = Field(60.0, gt=0)
    publish_bus: bool = True


def make_client(broker: BrokerURL, client_id: str | None, *, username=None, password=None, ca_certs=None,
                tls_insecure=False, clean_session=True):
    """A configured paho client (not yet connected)."""
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "", clean_session=clean_session,
                    protocol=mqtt.MQTTv311)
    user = username or broker.username
    if user:
        c.username_pw_set(user, password or broker.password)
    if broker.tls:
        c.tls_set(ca_certs=ca_certs, cert_reqs=ssl.CERT_REQUIRED)
        if tls_insecure:
            c.tls_insecure_set(True)
    c.max_inflight_messages_set(0)                 # unlimited in paho: the bridge and the load test keep their own window
    c.max_queued_messages_set(0)                   # unlimited: the bridge bounds it itself
    c.reconnect_delay_set(min_delay=1, max_delay=8)
    return c


def connect(client, broker: BrokerURL, timeout_s: float) -> None:
    """Connect and wait for the broker's CONNACK, or raise BridgeError saying why not."""
    done = threading.Event()
    result = {}

    def on_connect(_c, _u, _flags, reason_code, _props):
        result["rc"] = reason_code
        done.set()

    previous = client.on_connect
    client.on_connect = on_connect
    try:
        client.connect(broker.host, broker.port, keepalive=30)
    except ConnectionRefusedError:
        raise BridgeError(f"--mqtt {broker}: connection refused (is a broker listening there?)") from None
    except socket.gaierror as exc:
        raise BridgeError(f"--mqtt {broker}: unknown host ({exc.strerror})") from None
    except ssl.SSLError as exc:
        raise BridgeError(f"--mqtt {broker}: TLS failed ({exc.reason})") from None
    except (TimeoutError, socket.timeout):
        raise BridgeError(f"--mqtt {broker}: no answer within the connect timeout") from None
    except OSError as exc:
        raise BridgeError(f"--mqtt {broker}: {exc.strerror or exc}") from None
    client.loop_start()
    if not done.wait(timeout_s):
        client.loop_stop()
        raise BridgeError(f"--mqtt {broker}: the broker did not answer the MQTT handshake within {timeout_s:g} s")
    client.on_connect = previous
    rc = result["rc"]
    if rc.is_failure:
        client.loop_stop()
        raise BridgeError(f"--mqtt {broker}: the broker refused the connection: {rc}")


class MqttBridge:
    """Mirror a run to an MQTT broker (see the module docstring)."""

    name = "mqtt"

    def __init__(self, params: MqttParams):
        self.p = params
        self.broker = parse_url(params.url)
        self.published = 0
        self.acked = 0
        self.offline_buffered = 0
        self.reconnects = 0
        self.blocked_s = 0.0
        self.received_cmds = 0
        self._pending: set[int] = set()
        self._early: set[int] = set()
        self._lock = threading.Lock()
        self._offline: deque = deque()
        self._connected = threading.Event()
        self.client = None

    # ---- set-up ------------------------------------------------------------------------------
    def attach(self, twin) -> None:
        self.twin = twin
        self.cmd_pattern = twin.topic("+/+/cmd")
        c = make_client(self.broker, self.p.client_id or f"twin-{twin.city.slug}-{twin.seed}-{id(self) % 10**6}",
                        username=self.p.username, password=self.p.password, ca_certs=self.p.ca_certs,
                        tls_insecure=self.p.tls_insecure)
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        c.on_disconnect = self._on_disconnect
        self.client = c
        connect(c, self.broker, self.p.connect_timeout_s)
        self._on_connect(c, None, None, None, None)
        c.on_connect = self._on_connect
        try:
            self.sensors = twin.component("sensors")
            self.sensors.sinks.append(self.telemetry)
        except KeyError:
            self.sensors = None
        if self.p.publish_bus:
            twin.bus.subscribe("#", self)

    def _on_connect(self, client, _u, _flags, _rc, _props) -> None:
        if self._connected.is_set():
            return
        client.subscribe(self.cmd_pattern, qos=1)
        self._connected.set()
        with self._lock:
            backlog = list(self._offline)
            self._offline.clear()
        for topic, payload, qos, retain in backlog:
            self._send(topic, payload, qos, retain)

    def _on_disconnect(self, _c, _u, _flags, reason_code, _props) -> None:
        if self._connected.is_set():
            self.reconnects += 1
        self._connected.clear()

    def _on_publish(self, _c, _u, mid, _rc, _props) -> None:
        # paho may call this from its network thread before publish() has returned the mid to
        # us: such early acknowledgements wait in _early (paho's own lock may be held here, so
        # the bridge never holds its lock while calling paho)
        if self.p.qos == 0:
            return
        with self._lock:
            if mid in self._pending:
                self._pending.discard(mid)
                self.acked += 1
            else:
                self._early.add(mid)

    def _on_message(self, _c, _u, msg) -> None:
        self.received_cmds += 1
        if self.sensors is not None:
            self.sensors.commands.put((msg.topic, msg.payload))

    # ---- publishing --------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._offline)

    def publish(self, topic: str, payload: bytes, qos: int | None = None, retain: bool = False) -> None:
        """Publish one message (blocks while more than ``max_pending`` are unacknowledged)."""
        qos = self.p.qos if qos is None else qos
        limit = self.p.max_pending if self._connected.is_set() else self.p.max_buffer
        if self.pending >= limit:
            t0 = time.perf_counter()
            while self.pending >= (self.p.max_pending if self._connected.is_set() else self.p.max_buffer):
                time.sleep(0.0005)
                if time.perf_counter() - t0 > 3600:
                    raise BridgeError(f"--mqtt {self.broker}: no acknowledgement for an hour; giving up")
            self.blocked_s += time.perf_counter() - t0
        if not self._connected.is_set():
            with self._lock:
                if not self._connected.is_set():
                    self._offline.append((topic, payload, qos, retain))
                    self.offline_buffered += 1
                    return
        self._send(topic, payload, qos, retain)

    def _send(self, topic, payload, qos, retain) -> None:
        import paho.mqtt.client as mqtt

        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        with self._lock:
            self.published += 1
            if qos > 0:                                # kept by paho until acknowledged, even offline
                if info.mid in self._early:
                    self._early.discard(info.mid)
                    self.acked += 1
                else:
                    self._pending.add(info.mid)
            elif info.rc == mqtt.MQTT_ERR_NO_CONN:
                self._offline.append((topic, payload, qos, retain))
                self.offline_buffered += 1

    def telemetry(self, topic: str, pack: list) -> None:
        """A sensors sink: one SenML pack on its device topic."""
        self.publish(topic, json.dumps(pack, separators=(",", ":")).encode())

    def __call__(self, event) -> None:
        if event.kind == "telemetry":
            return                                     # published by telemetry() already
        body = {"t": round(event.t, 3), "kind": event.kind, "entity": event.entity, "ref": event.ref,
                "lon": _num(event.lon), "lat": _num(event.lat), **event.payload}
        self.publish(event.topic, json.dumps(body, separators=(",", ":"), default=str).encode(),
                     retain=event.topic.endswith("/state"))

    def on_batch(self, batch) -> None:
        rows = [{"t": round(e.t, 3), "kind": e.kind, "entity": e.entity, "ref": e.ref, "lon": _num(e.lon),
                 "lat": _num(e.lat), **e.payload} for e in batch.events()]
        self.publish(batch.topic, json.dumps(rows, separators=(",", ":"), default=str).encode())

    # ---- stop --------------------------------------------------------------------------------
    def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until nothing is pending (True) or the timeout passes (False)."""
        end = time.monotonic() + (self.p.drain_timeout_s if timeout_s is None else timeout_s)
        while self.pending and time.monotonic() < end:
            time.sleep(0.01)
        return not self.pending

    def shutdown(self) -> None:
        if self.client is None:
            return
        drained = self.drain()
        self.client.disconnect()
        self.client.loop_stop()
        self.client = None
        self.drained = drained

    def kpis(self) -> dict:
        if self.client is not None:
            self.drain()
        return {"broker": str(self.broker), "qos": self.p.qos, "published": self.published, "acked": self.acked,
                "pending": self.pending, "offline_buffered": self.offline_buffered, "reconnects": self.reconnects,
                "blocked_s": round(self.blocked_s, 3), "commands_received": self.received_cmds}


def _num(x: float):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x
