"""The event log: every event of a run, one row each, in ``events.parquet``.

Columns: ``t`` (sim seconds), ``topic``, ``kind``, ``entity``, ``ref``, ``lon``, ``lat`` and
``payload`` (JSON with sorted keys). Rows are buffered and written in row groups of fixed size,
and nothing time- or host-dependent goes into the file, so the same seed gives byte-identical
files. Citizens appear only under pseudonymous ids.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from twin.bus import Event

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
    """Append events; :meth:`close` flushes and finalises the Parquet file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="zstd",
                                        use_dictionary=["topic", "kind"])
        self._cols: tuple[list, ...] = tuple([] for _ in SCHEMA.names)
        self.rows = 0
        self.counts: dict[str, int] = {}

    def __call__(self, event: Event) -> None:
        self.append(event)

    def append(self, e: Event) -> None:
        c = self._cols
        c[0].append(e.t)
        c[1].append(e.topic)
        c[2].append(e.kind)
        c[3].append(e.entity)
        c[4].append(e.ref)
        c[5].append(None if math.isnan(e.lon) else e.lon)
        c[6].append(None if math.isnan(e.lat) else e.lat)
        c[7].append(json.dumps(e.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                    if e.payload else "{}")
        self.counts[e.kind] = self.counts.get(e.kind, 0) + 1
        self.rows += 1
        if len(c[0]) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if not self._cols[0]:
            return
        table = pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(self._cols, SCHEMA)],
                                     schema=SCHEMA)
        self._writer.write_table(table, row_group_size=ROW_GROUP)
        for col in self._cols:
            col.clear()

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None


def read_events(path: str | Path) -> pa.Table:
    """Read an ``events.parquet`` file (or a run directory holding one)."""
    p = Path(path)
    if p.is_dir():
        p = p / "events.parquet"
    return pq.read_table(p)
