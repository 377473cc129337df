"""The event log: every event of a run, one row each, in ``events.parquet``.

Columns: ``t`` (sim seconds), ``topic``, ``kind``, ``entity``, ``ref``, ``lon``, ``lat`` and
``payload`` (JSON with sorted keys). Rows are buffered and written in row groups of fixed size,
and nothing time- or host-dependent goes into the file, so the same seed gives byte-identical
files. Citizens appear only under pseudonymous ids.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twin.bus import Event, EventBatch

SCHEMA = pa.schema([
    ("t", pa.float64()),
    ("topic", pa.string()),
    ("kind", pa.string()),
    ("entity", pa.string()),
    ("ref", pa.string()),
    ("lon", pa.float64()),
    ("lat", pa.float64()),
    ("payload", pa.string()),
])
ROW_GROUP = 131_072


class EventLog:
    """Append events; :meth:`close` flushes and finalises the Parquet file.

    Single events are buffered as Python values; batches (:meth:`on_batch`) as their column
    arrays. At each flush, the batches of one (topic, kind, payload keys) signature get their
    JSON payloads built in one Arrow call, and every row is put back in publication order.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="zstd",
                                        use_dictionary=["topic", "kind"])
        self._single: tuple[list, ...] = tuple([] for _ in SCHEMA.names)
        self._chunks: list = []    # in order: ("rows", columns...) or ("batch", EventBatch, sig)
        self._pending = 0
        self.rows = 0
        self.counts: dict[str, int] = {}

    def __call__(self, event: Event) -> None:
        self.append(event)

    def append(self, e: Event) -> None:
        c = self._single
        c[0].append(e.t)
        c[1].append(e.topic)
        c[2].append(e.kind)
        c[3].append(e.entity)
        c[4].append(e.ref)
        c[5].append(e.lon)     # NaN becomes null when the column is built
        c[6].append(e.lat)
        c[7].append(json.dumps(e.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                    if e.payload else "{}")
        self._count(e.kind, 1)

    def on_batch(self, b: EventBatch) -> None:
        """Append a whole :class:`~twin.bus.EventBatch` (payload JSON is built at flush time)."""
        n = len(b)
        self._seal()
        self._chunks.append(("batch", b, (b.topic, b.kind, tuple(sorted(b.payload)))))
        self._count(b.kind, n)

    def _count(self, kind: str, n: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n
        self.rows += n
        self._pending += n
        if self._pending >= ROW_GROUP:
            self._flush()

    def _seal(self) -> None:
        if not self._single[0]:
            return
        self._chunks.append(("rows",) + tuple(list(c) for c in self._single))
        for col in self._single:
            col.clear()

    def _flush(self) -> None:
        self._seal()
        if not self._chunks:
            return
        # one JSON build per signature
        groups: dict[tuple, list[EventBatch]] = {}
        for ch in self._chunks:
            if ch[0] == "batch":
                groups.setdefault(ch[2], []).append(ch[1])
        built: dict[tuple, tuple[pa.Array, list[int]]] = {}
        for sig, batches in groups.items():
            cols = {k: _concat([bt.payload[k] for bt in batches]) for k in sig[2]}
            n = sum(len(bt) for bt in batches)
            built[sig] = (payload_json(cols, n), [0])
        t, topic, kind, entity, ref, lon, lat, payload = ([] for _ in range(8))
        for ch in self._chunks:
            if ch[0] == "rows":
                t.append(np.asarray(ch[1], np.float64))
                topic += ch[2]
                kind += ch[3]
                entity += ch[4]
                ref += ch[5]
                lon.append(np.asarray(ch[6], np.float64))
                lat.append(np.asarray(ch[7], np.float64))
                payload.append(pa.array(ch[8], pa.string()))
            else:
                b, sig = ch[1], ch[2]
                n = len(b)
                t.append(np.asarray(b.t, np.float64))
                topic += [b.topic] * n
                kind += [b.kind] * n
                entity += b.entity.tolist() if isinstance(b.entity, np.ndarray) else list(b.entity)
                ref += [b.ref] * n if isinstance(b.ref, str) else list(b.ref)
                lon.append(np.asarray(b.lon, np.float64))
                lat.append(np.asarray(b.lat, np.float64))
                arr, pos = built[sig]
                payload.append(arr.slice(pos[0], n))
                pos[0] += n
        table = pa.Table.from_arrays([
            pa.array(np.concatenate(t)), pa.array(topic, pa.string()), pa.array(kind, pa.string()),
            pa.array(entity, pa.string()), pa.array(ref, pa.string()),
            pa.array(np.concatenate(lon), from_pandas=True), pa.array(np.concatenate(lat), from_pandas=True),
            pa.concat_arrays(payload)], schema=SCHEMA)
        self._writer.write_table(table, row_group_size=ROW_GROUP)
        self._chunks.clear()
        self._pending = 0

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None


def _concat(parts: list):
    """One payload column from its batches' parts: lists of strings stay one list (turning each
    into a numpy string array first cost more than the rest of a flush), else a numpy array."""
    if all(type(p) is list and (not p or type(p[0]) is str) for p in parts):
        out: list = []
        for p in parts:
            out += p
        if all(type(v) is str for v in out):
            return out
    return np.concatenate([np.asarray(p) for p in parts])


def payload_json(columns: dict, n: int) -> pa.Array:
    """JSON objects (sorted keys, compact) built column-wise from ``columns`` by Arrow.

    Numbers are written by Arrow's number formatting (``12`` for 12.0), NaN as ``null``;
    strings are quoted and must need no escaping (ids, modes, codes).
    """
    if not columns:
        return pa.array(["{}"] * n, pa.string())
    parts: list = []
    for i, key in enumerate(sorted(columns)):
        col = columns[key]
        arr = pa.array(col, from_pandas=True) if not isinstance(col, pa.Array) else col
        if pa.types.is_string(arr.type):
            if n and pc.any(pc.match_substring_regex(arr, r'["\\\x00-\x1f]')).as_py():
                raise ValueError(f"payload column {key!r} has characters that need JSON escaping")
            text = pc.binary_join_element_wise('"', arr, '"', "")
        elif pa.types.is_boolean(arr.type):
            text = pc.if_else(arr, "true", "false")
        else:
            text = pc.cast(arr, pa.string())
        text = pc.fill_null(text, "null")
        parts += [("{" if i == 0 else ",") + f'"{key}":', text]
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def read_events(path: str | Path) -> pa.Table:
    """Read an ``events.parquet`` file (or a run directory holding one)."""
    p = Path(path)
    if p.is_dir():
        p = p / "events.parquet"
    return pq.read_table(p)
