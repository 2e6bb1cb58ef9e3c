"""Arrow values -> JSON by dolphin's conventions (docs/architecture.md §8), computed independently of
dolphin from pyarrow's own decoding. Used by the interop tests to state what dolphin must print."""
import datetime
import json
import math

import pyarrow as pa

_PER_SECOND = {"s": 1, "ms": 1000, "us": 1000000, "ns": 1000000000}
_DIGITS = {"s": 0, "ms": 3, "us": 6, "ns": 9}
_EPOCH = datetime.date(1970, 1, 1)


def _clock(secs, frac, unit):
    text = "%02d:%02d:%02d" % (secs // 3600, secs // 60 % 60, secs % 60)
    if _DIGITS[unit]:
        text += "." + str(frac).zfill(_DIGITS[unit])
    return text


def _timestamp(raw, unit, tz):
    per = _PER_SECOND[unit]
    secs, frac = divmod(raw, per)
    days, sod = divmod(secs, 86400)
    date = (_EPOCH + datetime.timedelta(days=days)).isoformat()
    return date + "T" + _clock(sod, frac, unit) + ("Z" if tz else "")


def column_values(arr):
    """Python values of one pyarrow Array (or ChunkedArray) in dolphin's JSON conventions."""
    if isinstance(arr, pa.ChunkedArray):
        out = []
        for chunk in arr.chunks:
            out.extend(column_values(chunk))
        return out
    t = arr.type
    if pa.types.is_dictionary(t):
        values = column_values(arr.dictionary)
        return [None if i is None else values[i] for i in arr.indices.to_pylist()]
    if pa.types.is_timestamp(t):
        raw = arr.cast(pa.int64()).to_pylist()
        return [None if v is None else _timestamp(v, t.unit, t.tz) for v in raw]
    if pa.types.is_floating(t):
        return [None if v is None or math.isnan(v) or math.isinf(v) else v for v in arr.to_pylist()]
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return [None if v is None else v.hex().upper() for v in arr.to_pylist()]
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        return [None if v is None else v.isoformat() for v in arr.to_pylist()]
    if pa.types.is_duration(t):
        return arr.cast(pa.int64()).to_pylist()
    if pa.types.is_map(t):
        keys = column_values(arr.keys)
        items = column_values(arr.items)
        offsets = arr.offsets.to_pylist()
        base = offsets[0]
        valid = arr.is_valid().to_pylist()
        return [[{"key": keys[k - base], "value": items[k - base]}
                 for k in range(offsets[i], offsets[i + 1])] if valid[i] else None
                for i in range(len(arr))]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        items = column_values(arr.flatten()) if not pa.types.is_fixed_size_list(t) else None
        out = []
        valid = arr.is_valid().to_pylist()
        if pa.types.is_fixed_size_list(t):
            child = column_values(arr.values)
            n = t.list_size
            return [child[(arr.offset + i) * n:(arr.offset + i + 1) * n] if valid[i] else None
                    for i in range(len(arr))]
        offsets = arr.offsets.to_pylist()
        base = offsets[0]
        for i in range(len(arr)):
            out.append(items[offsets[i] - base:offsets[i + 1] - base] if valid[i] else None)
        return out
    if pa.types.is_struct(t):
        valid = arr.is_valid().to_pylist()
        children = [(t.field(k).name, column_values(arr.field(k))) for k in range(t.num_fields)]
        return [dict((name, vals[i]) for name, vals in children) if valid[i] else None
                for i in range(len(arr))]
    return arr.to_pylist()


def table_rows(table):
    cols = [(name, column_values(table.column(name))) for name in table.column_names]
    return [dict((name, vals[i]) for name, vals in cols) for i in range(table.num_rows)]


def dumps(row):
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
