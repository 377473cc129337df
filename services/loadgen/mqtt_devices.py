"""Locust users that are IoT devices: **one MQTT connection per device**, cheap enough for thousands.

Each :class:`Device` user is one device of the fleet (``sl-00017``, ``aq-00003``, … by the
twin's device types) with its own TCP (or TLS) connection and client id. A device is two
greenlets and a socket — no thread, no paho client (see :mod:`services.loadgen.mqtt_wire` for
why the packets are written by hand) — so one process holds thousands of them. What arrives on
the plain-TCP connections is read by one epoll for the whole process, which the fleet's clock
drains at its ticks (:meth:`FleetPlan.drain`: no greenlet wakes for each PUBACK); a TLS
connection is read by its device's greenlet:

* **connect storm**: Locust spawns the users at the spawn rate, each connects at once; a
  refused or failed connect is retried with a doubling **back-off** (1 s … 30 s, with jitter
  from the run's seed), and so is a connection the broker drops (a broker restart): the
  reconnects are counted;
* **last will**: ``offline`` (retained, QoS 1) on ``…/<device>/state``; once connected the
  device publishes its retained ``online`` state there, and ``offline`` when it leaves cleanly;
* **telemetry** on ``city/loadtest-<run>/<type>/<device>/telemetry`` at the due times of an
  open-loop schedule: message *k* of the fleet is due at ``t0 + k / rate`` and belongs to device
  ``k mod devices`` (one clock greenlet a process hands the messages out, :meth:`FleetPlan.clock`);
  its SenML pack's first record is ``seq`` = *k* with ``bt`` = its due time.
  A message due while the device is disconnected is kept and sent on reconnect, as a device's
  MQTT stack does; at QoS 1 every message not yet acknowledged is sent again (DUP) after a
  reconnect, and the time from its due time to the broker's **PUBACK** is recorded in an HDR
  histogram (coordinated omission corrected);
* **commands**: with ``commands`` on, the device subscribes (QoS 1) to ``…/<device>/cmd`` and
  answers every command by publishing its payload back on ``…/<device>/cmd/reply``
  (:mod:`services.loadgen.mqtt_commands` sends them and times the round trip).

The measuring side (:mod:`services.loadgen.mqtt_sink`) is separate processes on a shared
subscription; :func:`services.loadgen.measure.loss_by_stage` puts the two sides together.
"""
from __future__ import annotations

import gc
import os
import random
import socket
import time
from collections import Counter

import gevent
from gevent.event import Event
from gevent.lock import Semaphore
from gevent.monkey import get_original
from gevent.socket import wait_read
from locust import User, constant, task
from locust.exception import StopUser

from sensors.bridge import parse_url
from services.loadgen import mqtt_fleet, mqtt_wire as wire
from services.loadgen.measure import Batch, _hist, _us, cpu_since

KEEPALIVE_S = 60
_publish_to = wire.publish_to                # a global: one lookup less on the hot path
_STATE, _REPLY = -1, -2                    # unacknowledged entries that are not telemetry


class FleetPlan:
    """One process's devices, clock and counts (``cfg``: url, run, devices, rate, duration_s, qos,
    pack, commands, seed, and this process's device ``indexes``)."""

    def __init__(self, cfg: dict, t0: float):
        self.cfg = cfg
        self.t0 = t0
        self.end = t0 + float(cfg["duration_s"])
        self.free = list(cfg.get("indexes", range(int(cfg["devices"]))))
        self.broker = parse_url(cfg["url"])
        # resolved once: 5,000 devices asking gevent's resolver (a thread pool) in a connect storm
        # spent more time there than in connecting
        self.addr = socket.getaddrinfo(self.broker.host, self.broker.port, type=socket.SOCK_STREAM)[0]
        self.tls = wire.tls_context(cfg) if self.broker.tls else None
        self.connected = self.connect_failed = self.reconnects = 0
        self.connect_errors: Counter = Counter()
        self.sent = self.acked = self.publish_errors = 0
        self.commands = self.replies = 0
        self.ack_latency = Batch()             # due time to PUBACK
        self.send_lag = Batch()                # due time to the message's first write: the generator's lag
        self.connect_ms = _hist()
        self.last_sent = 0.0
        self.cpu0 = None
        self.devices: dict[int, Device] = {}   # index -> its user, once spawned
        # the plain-TCP connections are read here, not by a greenlet each (see :meth:`drain`)
        self.poller = get_original("select", "epoll")()
        self.by_fd: dict[int, Device] = {}
        self.ticking = False                   # the clock drains the connections at its ticks
        self.done = Event()                    # the clock has handed out its last message
        self.reader = None
        self.sent_s: Counter = Counter()       # whole seconds since t0 -> messages written / acknowledged
        self.acked_s: Counter = Counter()

    def clock(self) -> None:
        """The fleet's clock (one greenlet a process): message *k* is due at ``t0 + k / rate`` and
        belongs to device ``k mod devices``; this process's messages are handed to their devices
        in due order, at their due times. One timer for the whole fleet instead of one a device
        keeps the cost per message low; a message whose device has not been spawned yet is not
        sent (``not_sent``: the connect storm was slower than planned)."""
        devices, rate = int(self.cfg["devices"]), float(self.cfg["rate"])
        own = sorted(int(i) for i in self.cfg.get("indexes", range(devices)))
        lag, sleep, now_f, drain, get = self.send_lag.add, gevent.sleep, time.time, self.drain, self.devices.get
        t0, sent_s = self.t0, self.sent_s
        sleep(max(0.0, t0 - now_f()))
        # the fleet (thousands of users, greenlets, sockets) lives to the end: out of the cyclic
        # collector's sight, whose full passes over it were ~18 % of the generator's CPU
        gc.freeze()
        self.cpu0 = os.times()                 # the CPU of the schedule itself, connect storm excluded
        self.ticking = True
        drained = now_f()
        j = 0
        try:
            while True:
                for idx in own:
                    k = j * devices + idx
                    due = t0 + k / rate
                    if due >= self.end:
                        return
                    now = now_f()
                    if due > now:              # a tick: sleep to the due time, read what came meanwhile
                        sleep(due - now)
                        now = drained = now_f()
                        drain()
                    elif now - drained > 0.002:
                        sleep(0)               # behind: still let the other greenlets run, and read
                        drained = now
                        drain()
                    dev = get(idx)
                    if dev is None:
                        continue
                    dev.emit(k, due)
                    self.last_sent = now
                    sent_s[int(now - t0)] += 1
                    lag(now - due)
                j += 1
        finally:
            self.ticking = False
            self.done.set()
            self.reader_wake()

    # ---- reading the connections: one poller for all, drained at the clock's ticks -----------------
    def watch(self, dev: "Device", raw) -> None:
        """Read ``dev``'s plain-TCP connection (its kernel socket ``raw``) here from now on."""
        fd = raw.fileno()
        self.by_fd[fd] = dev
        try:
            self.poller.register(fd, 0x001 | 0x008 | 0x010)    # EPOLLIN | EPOLLERR | EPOLLHUP
        except FileExistsError:                # the number of a closed socket, still registered
            self.poller.modify(fd, 0x001 | 0x008 | 0x010)
        if self.reader is None:
            self.reader = gevent.spawn(self._read_when_idle)
            self.reader_event = Event()

    def unwatch(self, dev: "Device", raw) -> None:
        """Stop reading ``dev``'s connection (before it is closed)."""
        try:
            fd = raw.fileno()
        except OSError:
            return
        if fd >= 0 and self.by_fd.get(fd) is dev:
            del self.by_fd[fd]
            try:
                self.poller.unregister(fd)
            except (OSError, ValueError):
                pass

    def drain(self) -> None:
        """Read every connection with something to read (PUBACKs, commands, an EOF), without
        waiting: one ``epoll_wait`` and one ``recv`` a ready connection, no greenlet switch.

        During the schedule the clock calls this at every tick (a due time it slept to, or every
        2 ms when behind): the acknowledgements of a tick's messages are read together instead of
        waking the process once a PUBACK, and a PUBACK's time is when it was read: up to a tick
        (~1 ms on schedule, 2 ms behind it) after it arrived, never earlier than the truth."""
        by_fd = self.by_fd
        while True:
            ready = self.poller.poll(0, 1024)
            for fd, _ev in ready:
                dev = by_fd.get(fd)
                if dev is None:
                    continue
                try:
                    data = dev.raw.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.unwatch(dev, dev.raw)
                    dev.closed.set()
                    continue
                try:
                    dev._handle(dev.reader.feed(data))
                except ValueError:             # a malformed packet: the connection is done for
                    self.unwatch(dev, dev.raw)
                    dev.closed.set()
            if len(ready) < 1024:
                return

    def reader_wake(self) -> None:
        if self.reader is not None:
            self.reader_event.set()

    def _read_when_idle(self) -> None:
        """The reader when the clock is not ticking (the connect storm, the PUBACKs still due
        after the schedule, a worker between runs): wake when any connection is readable."""
        fd = self.poller.fileno()
        while True:
            if self.ticking:
                self.reader_event.clear()
                self.reader_event.wait()
                continue
            try:
                wait_read(fd, timeout=0.5)
            except gevent.socket.timeout:
                continue
            if not self.ticking:
                self.drain()

    def stop(self) -> None:
        """End the clock's and the reader's greenlets (the users end by themselves)."""
        for g in (getattr(self, "clock_greenlet", None), self.reader):
            if g is not None:
                g.kill(block=False)

    def summary(self) -> dict:
        return {"connected": self.connected, "connect_failed": self.connect_failed, "reconnects": self.reconnects,
                "connect_errors": dict(self.connect_errors), "sent": self.sent, "acked": self.acked,
                "sent_s": {str(k): v for k, v in self.sent_s.items()},
                "acked_s": {str(k): v for k, v in self.acked_s.items()},
                "publish_errors": self.publish_errors, "commands_received": self.commands,
                "ack_latency": self.ack_latency.flush().encode().decode("ascii"), "last_sent": self.last_sent,
                "send_lag": self.send_lag.flush().encode().decode("ascii"),
                "connect_ms": self.connect_ms.encode().decode("ascii"),
                **cpu_since(self.cpu0)}


PLAN: FleetPlan | None = None


class Refused(Exception):
    """The broker answered CONNECT with a non-zero return code."""


class Device(User):
    """One device, one MQTT connection (see the module docstring)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        plan = PLAN
        while plan is None:
            gevent.sleep(0.05)
            plan = PLAN
        if not plan.free:
            raise StopUser()
        cfg = plan.cfg
        self.plan = plan
        self.index = plan.free.pop(0)
        self.type, self.device = mqtt_fleet.device(self.index)
        base = mqtt_fleet.base(cfg["run"], self.index)
        self.topic, self.state = f"{base}/telemetry".encode(), f"{base}/state"
        self.cmd, self.reply = f"{base}/cmd", f"{base}/cmd/reply".encode()
        self.qos = int(cfg["qos"])
        # the SenML pack with its base name and further readings written in once: per message only
        # the due time and the sequence number are formatted in (payload, topic: pre-encoded)
        rest = b"".join(b',{"n":"v%d","v":%d}' % (i, i) for i in range(1, int(cfg["pack"])))
        self.pack = b'[{"bn":"urn:dev:twin:' + self.device.encode() + b':","bt":%.6f,"n":"seq","v":%d}' + rest + b"]"
        self.head = wire.topic_head(self.topic)
        self.rng = random.Random(int(cfg.get("seed", 0)) * 1_000_003 + self.index)
        self.unacked: dict[int, list] = {}     # pid -> [k or _STATE/_REPLY, due, packet, written]
        self.pending: list[bytes] = []         # QoS 0 messages due while disconnected
        self.pid = 0
        self.sock = None
        self.raw = None                        # the kernel socket under gevent's, for the fast path
        self.reader = None
        self.closed = Event()                  # set by the plan's reader when the connection ends
        self.idle = Event()                    # set when nothing is left to acknowledge
        self.outstanding = 0                   # telemetry written and not yet acknowledged
        self.ever = False
        self.stopping = False
        self.wlock = Semaphore()
        self.link = gevent.spawn(self._connection)
        plan.devices[self.index] = self

    # ---- the connection: connect, read, reconnect with back-off ---------------------------------
    def _connection(self) -> None:
        plan, b, delay = self.plan, self.plan.broker, 1.0
        while not self.stopping:
            t = time.time()
            try:
                sock, reader, first = self._connect(b)
            except (OSError, Refused, ValueError) as exc:
                plan.connect_failed += 1
                plan.connect_errors[type(exc).__name__ if not isinstance(exc, Refused) else str(exc)] += 1
                gevent.sleep(delay * (0.5 + self.rng.random()))
                delay = min(30.0, delay * 2)
                continue
            plan.connect_ms.record_value(_us(time.time() - t))
            if self.ever:
                plan.reconnects += 1
            else:
                plan.connected += 1
                self.ever = True
            delay = 1.0
            for pid in [p for p, e in self.unacked.items() if e[0] == _STATE]:
                del self.unacked[pid]              # the state of an earlier connection: said again below
            out = [wire.publish(self.state.encode(), b"online", 1, self._track(_STATE, t), retain=True)]
            if self.plan.cfg.get("commands"):
                out.append(wire.subscribe(self._next_pid(), [(self.cmd, 1)]))
            for e in sorted(self.unacked.values(), key=lambda e: e[1]):     # again, in due order
                if e[0] != _STATE:
                    out.append(e[2] if not e[3] else bytes([e[2][0] | 0x08]) + e[2][1:])
                    e[3] = True
            out += self.pending
            n_pending, self.pending = len(self.pending), []
            try:
                with self.wlock:
                    sock.sendall(b"".join(out))
                plan.acked += n_pending if not self.qos else 0
                self.raw = raw = getattr(sock, "_sock", None) if self.plan.tls is None else None
                self.sock, self.reader = sock, reader
                self._handle(first)
                self._check_idle()
                if raw is not None:            # plain TCP: the plan reads it (FleetPlan.drain)
                    self.closed.clear()
                    plan.watch(self, raw)
                    try:
                        self.closed.wait()
                    finally:
                        plan.unwatch(self, raw)
                else:
                    while True:
                        data = sock.recv(65536)
                        if not data:
                            break
                        self._handle(reader.feed(data))
            except (OSError, ValueError):
                pass
            self.sock = None
            sock.close()
            if not self.stopping:
                gevent.sleep(delay * (0.5 + self.rng.random()))

    def _connect(self, b):
        family, kind, proto, _name, sockaddr = self.plan.addr
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(10)
            sock.connect(sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.plan.tls is not None:
                sock = self.plan.tls.wrap_socket(sock, server_hostname=b.host)
            cfg = self.plan.cfg
            sock.sendall(wire.connect(f"lt-{cfg['run']}-{self.device}", clean=True, keepalive=KEEPALIVE_S,
                                      will=(self.state, b"offline", 1, True),
                                      username=cfg.get("username") or b.username,
                                      password=cfg.get("password") or b.password))
            reader = wire.Reader()
            body, rest = wire.await_connack(sock, reader)
            if body[1]:
                raise Refused(f"CONNACK {wire.CONNACK_CODES.get(body[1], body[1])}")
            sock.settimeout(None)
            return sock, reader, rest
        except BaseException:
            sock.close()
            raise

    def _handle(self, packets) -> None:
        plan = self.plan
        for typ, flags, body in packets:
            if typ == wire.PUBACK:
                e = self.unacked.pop(body[0] << 8 | body[1], None)
                if e is not None and e[0] >= 0:
                    now = time.time()
                    plan.acked += 1
                    plan.acked_s[int(now - plan.t0)] += 1
                    plan.ack_latency.add(now - e[1])
                    self.outstanding -= 1
                    if not self.outstanding:
                        self.idle.set()
            elif typ == wire.PUBLISH:                      # a command: acknowledge it, answer it
                _topic, payload, qos, pid = wire.parse_publish(flags, body)
                plan.commands += 1
                out = wire.puback(pid) if qos else b""
                pid = self._next_pid()
                pkt = wire.publish(self.reply, payload, 1, pid)
                self.unacked[pid] = [_REPLY, time.time(), pkt, True]
                self._write(out + pkt)

    def _next_pid(self) -> int:
        while True:
            self.pid = self.pid % 65535 + 1
            if self.pid not in self.unacked:
                return self.pid

    def _track(self, k: int, due: float) -> int:
        """A packet id for a state message (not resent: a reconnect says the state again)."""
        pid = self._next_pid()
        self.unacked[pid] = [k, due, b"", True]
        return pid

    def _write(self, data: bytes) -> bool:
        """Write ``data`` whole, or return ``False`` (not connected, or the connection failed).

        The fast path hands the bytes straight to the non-blocking kernel socket under gevent's
        wrapper (a plain TCP connection, nobody else writing): gevent's ``sendall`` costs ~17 µs
        of Python a message, a third of the generator's cost; whatever the kernel does not take
        at once goes through ``sendall``, which waits cooperatively."""
        sock = self.sock
        if sock is None:
            return False
        try:
            raw = self.raw
            if raw is not None and not self.wlock.locked():
                try:
                    n = raw.send(data)
                except BlockingIOError:
                    n = 0
                if n == len(data):
                    return True
                data = data[n:]
            with self.wlock:
                sock.sendall(data)
            return True
        except OSError:
            self.plan.publish_errors += 1
            return False

    # ---- the device's life: telemetry on schedule, then a clean goodbye ----------------------------
    @task
    def live(self) -> None:
        """Stay connected until the schedule's end (the fleet's clock, :meth:`FleetPlan.clock`,
        hands this device its messages), pinging when quiet, and until the clock has handed out
        the last message due before the end (a clock behind the schedule does so after it; at most
        ``timeout_s`` more); then wait for the PUBACKs still due (at most ``timeout_s``) and say
        goodbye."""
        plan, cfg = self.plan, self.plan.cfg
        while time.time() < plan.end:
            gevent.sleep(min(KEEPALIVE_S / 2, max(0.0, plan.end - time.time())))
            if time.time() < plan.end:
                self._write(wire.pingreq())
        # a clock that fell behind still hands out messages due before the end: stay for them
        plan.done.wait(max(0.0, plan.end + float(cfg.get("timeout_s", 10.0)) - time.time()))
        end = time.time() + float(cfg.get("timeout_s", 10.0))
        while (self.outstanding or self.pending) and time.time() < end:
            self.idle.clear()
            self._check_idle()
            self.idle.wait(max(0.0, end - time.time()))
        self._goodbye()
        raise StopUser()

    def _check_idle(self) -> None:
        if not self.outstanding and not self.pending:
            self.idle.set()

    def emit(self, k: int, due: float) -> None:
        """Publish the fleet's message ``k`` (due at ``due``) now, or keep it for the reconnect."""
        plan = self.plan
        payload = self.pack % (due, k)
        plan.sent += 1
        if self.qos:
            unacked = self.unacked
            pid = self.pid % 65535 + 1         # _next_pid, inline: the generator's hot path
            while pid in unacked:
                pid = pid % 65535 + 1
            self.pid = pid
            pkt = _publish_to(self.head, payload, 1, pid)
            entry = unacked[pid] = [k, due, pkt, False]
            self.outstanding += 1
            entry[3] = self._write(pkt)
        else:
            pkt = wire.publish_to(self.head, payload)
            if self._write(pkt):
                plan.acked += 1
            else:
                self.pending.append(pkt)

    def _goodbye(self) -> None:
        if self.sock is not None:
            self._write(wire.publish(self.state.encode(), b"offline", 1, self._track(_STATE, time.time()),
                                     retain=True))
            end = time.time() + 2.0
            while self.sock is not None and any(e[0] == _STATE for e in self.unacked.values()) and time.time() < end:
                gevent.sleep(0.02)
            self._write(wire.disconnect())
        self.stopping = True
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.link.kill(block=False)

    def on_stop(self) -> None:
        if not self.stopping and hasattr(self, "link"):
            self.stopping = True
            self.link.kill(block=False)
