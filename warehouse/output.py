"""Write query results and exports to files: JSON Lines, JSON, CSV or Parquet.

Nested columns (lists, structs) are written as JSON in every text format, CSV included, so a
reader parses them with one JSON call; bytes are base64; times are ISO 8601 in UTC.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
           ".parquet": "parquet"}  # fmt: skip


def format_of(out: Path) -> str:
    """Return the output format a file name asks for, or raise ValueError."""
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"--out must end in .jsonl, .json, .csv or .parquet, not {out.name!r}")
    return fmt


def plain(value: object) -> object:
    """Return a value json.dumps cannot write as something it can."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def dumps(value: object) -> str:
    """Encode a value as compact JSON (non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False, default=plain, separators=(",", ":"))


def is_nested(kind: pa.DataType) -> bool:
    """Return whether a column's values are lists, structs or maps."""
    return pa.types.is_nested(kind)


def column_values(column: pa.Array) -> list[object]:
    """Return a column's values for JSON: float32 at its own precision (0.9, not 0.8999...)."""
    if pa.types.is_float32(column.type):
        return [None if v is None else float(str(np.float32(v))) for v in column.to_pylist()]
    return column.to_pylist()


def json_rows(batch: pa.RecordBatch) -> Iterable[str]:
    """Yield each row of a batch as one JSON object."""
    names = batch.schema.names
    columns = [column_values(c) for c in batch.columns]
    for values in zip(*columns, strict=True):
        yield dumps(dict(zip(names, values, strict=True)))


def csv_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Return a batch CSV can hold: nested columns as JSON text, bytes as base64."""
    arrays, fields = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        kind = field.type
        if is_nested(kind):
            column = pa.array([None if v is None else dumps(v) for v in column.to_pylist()],
                              pa.string())  # fmt: skip
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            column = pa.array([None if v is None else plain(v) for v in column.to_pylist()],
                              pa.string())  # fmt: skip
        arrays.append(column)
        fields.append(pa.field(field.name, column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def write_batches(reader: pa.RecordBatchReader, out: Path, fmt: str | None = None) -> int:
    """Write every batch of a reader to out in fmt (default: by its suffix); return the rows.

    The file appears whole or not at all: it is written beside and renamed into place.
    """
    fmt = fmt or format_of(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    rows = 0
    try:
        if fmt == "parquet":
            with pq.ParquetWriter(tmp, reader.schema, compression="zstd") as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    rows += batch.num_rows
        elif fmt == "csv":
            schema = csv_batch(pa.RecordBatch.from_pylist([], schema=reader.schema)).schema
            with pacsv.CSVWriter(tmp, schema) as writer:
                for batch in reader:
                    writer.write_batch(csv_batch(batch))
                    rows += batch.num_rows
        else:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write("[" if fmt == "json" else "")
                for batch in reader:
                    for line in json_rows(batch):
                        if fmt == "json":
                            handle.write(",\n" if rows else "\n")
                        handle.write(line if fmt == "json" else line + "\n")
                        rows += 1
                handle.write("\n]\n" if fmt == "json" else "")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)  # readers of the output never see half a file
    return rows
