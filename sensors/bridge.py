"""The MQTT bridge: the twin's bus and its devices' telemetry on a real broker, commands back.

:class:`MqttBridge` (component ``"mqtt"``) is a paho-mqtt 2 client
(``CallbackAPIVersion.VERSION2``, MQTT 3.1.1) with its network loop in a background thread.

* **Out.** Every bus event is published on its own topic (``city/<slug>/...``) as JSON; a batch
  of events (trips) goes as **one** message, a JSON array (packing). Device telemetry — SenML
  packs from :class:`sensors.component.Sensors` — goes to
  ``city/<slug>/<type>/<id>/telemetry``; device states are published **retained** on
  ``.../state`` so a dashboard that connects later sees every device's last state.
* **In.** It subscribes to ``city/<slug>/+/+/cmd`` and queues what arrives for the sensors,
  which apply it at their next tick (a bounded queue: :meth:`sensors.component.Sensors.queue_command`).
* **Delivery.** QoS 0 or 1. At QoS 1 no message is lost to an outage of the broker, however
  long: the bridge keeps its own queue and hands paho at most ``max_inflight`` unacknowledged
  messages at a time (an **in-flight window**, far below paho's 65,535 message ids); each
  PUBACK lets the next queued message in, paho re-sends the unacknowledged ones after a
  reconnect (a subscriber may then see a duplicate: at-least-once), and the bridge reconnects
  by itself (1–8 s back-off). **Back-pressure**: while more than ``max_pending`` messages are
  unacknowledged (``max_buffer`` while the broker is away) publishing blocks, so memory stays
  bounded. QoS 0 messages wait in the same queue while the broker is away; one written just
  as the connection drops may vanish (that is QoS 0).
* **Accounting.** ``published``, ``sent``, ``acked``, ``resent``, ``lost``, ``pending`` (see
  :class:`MqttBridge`). :meth:`MqttBridge.drain` is True only when every message is
  acknowledged; at the end of a run whatever the broker has still not acknowledged after
  ``drain_timeout_s`` is counted ``lost`` and :meth:`MqttBridge.failure` reports it, so the
  run fails instead of claiming success.
* **Start.** The broker must answer within ``connect_timeout_s``; otherwise
  :class:`BridgeError` says which URL, and why (refused, unknown host, bad credentials, TLS).
* **Stop.** :meth:`MqttBridge.shutdown` waits (``drain_timeout_s``) until every QoS 1 message
  is acknowledged, counts the rest as lost, then disconnects.

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
    # QoS 1 messages handed to paho and not yet acknowledged, at most (paho's message ids are
    # 16-bit: a backlog handed over whole would reuse ids and lose the excess over 65,535)
    max_inflight: int = Field(1000, ge=1, le=20_000)
    max_pending: int = Field(1000, ge=1)
    max_buffer: int = Field(5_000_000, ge=1)
    connect_timeout_s: float = Field(5.0, gt=0)
    drain_timeout_s: float = Field(60.0, gt=0)
    publish_bus: bool = True


def make_client(broker: BrokerURL, client_id: str | None, *, username=None, password=None, ca_certs=None,
                tls_insecure=False, clean_session=True, certfile=None, keyfile=None):
    """A configured paho client (not yet connected); ``certfile``/``keyfile``: a client certificate
    (PEM) for a broker that asks for one (mosquitto's ``require_certificate true``)."""
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "", clean_session=clean_session,
                    protocol=mqtt.MQTTv311)
    user = username or broker.username
    if user:
        c.username_pw_set(user, password or broker.password)
    if broker.tls:
        c.tls_set(ca_certs=ca_certs, certfile=certfile or None, keyfile=keyfile or None, cert_reqs=ssl.CERT_REQUIRED)
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

    def on_disconnect(_c, _u, _flags, reason_code, _props):
        result.setdefault("closed", reason_code)  # closed before any CONNACK (e.g. TLS: no client certificate)
        done.set()

    previous, previous_disconnect = client.on_connect, client.on_disconnect
    client.on_connect, client.on_disconnect = on_connect, on_disconnect
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
    client.on_connect, client.on_disconnect = previous, previous_disconnect
    if "rc" not in result:
        client.loop_stop()
        hint = " (a TLS broker that requires a client certificate does this without one)" if broker.tls else ""
        raise BridgeError(f"--mqtt {broker}: the broker closed the connection before answering{hint}")
    rc = result["rc"]
    if rc.is_failure:
        client.loop_stop()
        raise BridgeError(f"--mqtt {broker}: the broker refused the connection: {rc}")


class MqttBridge:
    """Mirror a run to an MQTT broker (see the module docstring).

    Every message is accounted for, in messages:

    ``published``
        given to the bridge by the twin;
    ``sent``
        handed to paho (once per message; paho's own re-sends after a reconnect are ``resent``);
    ``acked``
        acknowledged by the broker (QoS 1 ``PUBACK``);
    ``lost``
        given up at the end of the run: still queued or unacknowledged when the final drain
        (``drain_timeout_s``) ran out;
    ``pending``
        queued in the bridge plus in flight (handed to paho, not yet acknowledged).

    At QoS 1, after :meth:`finish`, ``published == acked + lost``; ``lost`` is not zero
    only when the broker stayed away (or never acknowledged) to the end, and then
    :meth:`failure` says so, so that the run is not reported as complete.
    """

    name = "mqtt"

    def __init__(self, params: MqttParams):
        self.p = params
        self.broker = parse_url(params.url)
        self.published = 0
        self.sent = 0
        self.acked = 0
        self.resent = 0
        self._lost_at_finish = 0
        self.offline_buffered = 0
        self.reconnects = 0
        self.blocked_s = 0.0
        self.received_cmds = 0
        self.peak_queued = 0
        self.peak_inflight = 0
        self._queue: deque = deque()               # (topic, payload, retain) waiting for the window
        self._inflight: dict[int, tuple] = {}      # mid -> message: handed to paho, no PUBACK yet
        self._early: set[int] = set()              # PUBACKs that came before publish() returned the mid
        self._lock = threading.Lock()              # _inflight, _early, acked (paho's thread writes them)
        self._feeding = threading.Lock()           # one feeder at a time; paho's thread never takes it
        self._connected = threading.Event()
        self._ever_connected = False
        self._finished = False                     # finish() has run at least once
        self._published_at_finish = 0
        self.client = None

    # ---- set-up ------------------------------------------------------------------------------
    def attach(self, twin) -> None:
        self.twin = twin
        self.cmd_pattern = twin.topic("+/+/cmd")
        c = make_client(self.broker, self.p.client_id or f"twin-{twin.city.slug}-{twin.seed}-{id(self) % 10**6}",
                        username=self.p.username, password=self.p.password, ca_certs=self.p.ca_certs,
                        tls_insecure=self.p.tls_insecure)
        if self.p.qos > 0:
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

    def _on_connect(self, client, _u, _flags, reason_code, _props) -> None:
        if self._connected.is_set() or (reason_code is not None and reason_code.is_failure):
            return
        client.subscribe(self.cmd_pattern, qos=1)
        with self._lock:
            if self._ever_connected:                   # paho re-sends what was in flight (DUP)
                self.resent += len(self._inflight)
            self._ever_connected = True
        self._connected.set()

    def _on_disconnect(self, _c, _u, _flags, reason_code, _props) -> None:
        if self._connected.is_set():
            self.reconnects += 1
        self._connected.clear()

    def _on_publish(self, _c, _u, mid, _rc, _props) -> None:
        # paho's network thread, with paho's locks held: only the bridge's own small lock is
        # taken here, and the bridge never holds that lock while it calls paho (no deadlock).
        # A PUBACK may come before publish() has returned the mid to the feeder: it waits in _early.
        with self._lock:
            if self._inflight.pop(mid, None) is not None:
                self.acked += 1
            else:
                self._early.add(mid)

    def _on_message(self, _c, _u, msg) -> None:
        self.received_cmds += 1
        if self.sensors is not None:
            self.sensors.queue_command(msg.topic, msg.payload)

    # ---- publishing --------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Messages not yet acknowledged: queued in the bridge plus in flight."""
        return len(self._queue) + len(self._inflight)

    @property
    def inflight(self) -> int:
        """QoS 1 messages handed to paho and not yet acknowledged (never above ``max_inflight``)."""
        return len(self._inflight)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """Publish one message at the bridge's QoS.

        The message joins the bridge's queue and is handed to paho as soon as the in-flight
        window has room. This call blocks (back-pressure) while ``max_pending`` messages are
        unacknowledged with the broker connected, or ``max_buffer`` while it is away.
        """
        self.published += 1
        if not self._connected.is_set():
            self.offline_buffered += 1
        self._queue.append((topic, payload, retain))
        self._feed()
        if self.pending > self.peak_queued:
            self.peak_queued = self.pending
        if self.pending >= self._limit():
            t0 = time.perf_counter()
            while self.pending >= self._limit():
                time.sleep(0.0005)
                self._feed()
                if time.perf_counter() - t0 > 3600:
                    raise BridgeError(f"--mqtt {self.broker}: no acknowledgement for an hour; giving up")
            self.blocked_s += time.perf_counter() - t0

    def _limit(self) -> int:
        return self.p.max_pending if self._connected.is_set() else self.p.max_buffer

    def _feed(self) -> None:
        """Hand queued messages to paho while the window has room (QoS 0: while connected).

        This is the one place that calls ``client.publish``; it runs in the publishing thread
        (from :meth:`publish` and :meth:`drain`), never in paho's. At QoS 1 paho numbers each
        message with a 16-bit id and keeps it until its PUBACK, re-sending it after a
        reconnect, so no more than ``max_inflight`` (far below 65,535) are ever handed over:
        the ids in use never wrap onto each other, and the rest of an outage's backlog waits
        here, in order.
        """
        import paho.mqtt.client as mqtt

        if self.client is None or not self._feeding.acquire(blocking=False):
            return
        try:
            qos = self.p.qos
            while self._queue:
                if qos == 0 and not self._connected.is_set():
                    return                             # paho would drop it: keep it until the broker is back
                if qos > 0 and len(self._inflight) >= self.p.max_inflight:
                    return
                msg = self._queue.popleft()
                info = self.client.publish(msg[0], msg[1], qos=qos, retain=msg[2])
                if qos == 0:
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        self._queue.appendleft(msg)    # not written: try again after the reconnect
                        return
                    self.sent += 1
                    continue
                if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                    # MQTT_ERR_QUEUE_SIZE: paho still holds a message under this id (it only
                    # happens if acknowledgements came wildly out of order): retry on the next id
                    self._queue.appendleft(msg)
                    return
                with self._lock:                       # NO_CONN: paho keeps it and sends it on reconnect
                    self.sent += 1
                    if info.mid in self._early:
                        self._early.discard(info.mid)
                        self.acked += 1
                    else:
                        self._inflight[info.mid] = msg
                        if len(self._inflight) > self.peak_inflight:
                            self.peak_inflight = len(self._inflight)
        finally:
            self._feeding.release()

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
        """Feed the window and wait until every message is acknowledged (True), or until the
        timeout (default ``drain_timeout_s``) passes with some still pending (False)."""
        end = time.monotonic() + (self.p.drain_timeout_s if timeout_s is None else timeout_s)
        while True:
            self._feed()
            if not self.pending:
                return True
            if self.client is None or time.monotonic() >= end:
                return False
            time.sleep(0.005)

    def finish(self, timeout_s: float | None = None) -> bool:
        """End of the run (:meth:`twin.engine.Twin.finish` calls it): drain, then count whatever
        the broker has still not acknowledged as ``lost``. True when nothing was lost.

        Repeatable: a twin that runs on afterwards (the live control room) keeps publishing, and a
        later ``finish()`` counts again. A PUBACK that still comes after the drain gave up takes
        its message off ``lost`` (``lost`` never exceeds ``pending``).
        """
        if self.client is not None:
            self.drain(timeout_s)
        self._finished = True
        self._published_at_finish = self.published
        self._lost_at_finish = self.pending
        return self._lost_at_finish == 0

    @property
    def lost(self) -> int:
        """Messages the end-of-run drain gave up on and the broker has not acknowledged since."""
        return min(self._lost_at_finish, self.pending)

    def failure(self) -> str | None:
        """Why the run must not be reported complete: the messages lost, or None."""
        if not self.lost:
            return None
        return (f"--mqtt {self.broker}: lost {self.lost:,} of {self.published:,} messages — the broker had not "
                f"acknowledged them when the {self.p.drain_timeout_s:g} s drain at the end of the run ran out "
                f"(acknowledged {self.acked:,}, QoS {self.p.qos})")

    def shutdown(self) -> None:
        """Drain (unless :meth:`finish` already did, with nothing published since), then
        disconnect: what is still pending then is lost."""
        if self.client is None:
            return
        if not self._finished or self.published != self._published_at_finish:
            self.finish()
        self._lost_at_finish = self.pending
        self.client.disconnect()
        self.client.loop_stop()
        self.client = None
        self.drained = self.lost == 0

    def kpis(self) -> dict:
        """The delivery figures (see the class docstring). Read after :meth:`finish`; a driver
        that never calls it gets it here, once."""
        if not self._finished:
            self.finish()
        return {"broker": str(self.broker), "qos": self.p.qos, "published": self.published, "sent": self.sent,
                "acked": self.acked, "lost": self.lost, "pending": self.pending, "resent": self.resent,
                "max_inflight": self.p.max_inflight, "peak_inflight": self.peak_inflight,
                "peak_pending": self.peak_queued, "offline_buffered": self.offline_buffered,
                "reconnects": self.reconnects, "blocked_s": round(self.blocked_s, 3),
                "commands_received": self.received_cmds}


def _num(x: float):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x
