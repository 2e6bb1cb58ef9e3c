"""Writes scan-like Arrow files with pyarrow in several flavours and, next to each, the rows dolphin
must print (`<file>.expected.jsonl`). Usage: write_pyarrow.py OUT_DIR"""
import os
import struct
import sys

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc

from arrow_json import dumps, table_rows


def scan_table(assets=400, scans=3):
    symbols = ["BTCUSDT", "ETHUSDT"] + ["A%03dUSDT" % i for i in range(assets - 2)]
    sym_type = pa.dictionary(pa.int32(), pa.utf8())
    return pa.table({
        "scan_number": pa.array([1000 + k for k in range(scans)], pa.int64()),
        "timestamp": pa.array([1774434601123456 + k * 5_000_000 for k in range(scans)],
                              pa.timestamp("us", tz="UTC")),
        "assets": pa.array([symbols] * scans, pa.list_(pa.utf8())),
        "asset_prices": pa.array([[100.0 + 0.125 * i + k / 3.0 for i in range(assets)]
                                  for k in range(scans)], pa.list_(pa.float64())),
        "eigenvalues": pa.array([[float(10 - j) / (k + 1) for j in range(10)] for k in range(scans)],
                                pa.list_(pa.float64())),
        "w50_lambda_max": pa.array([0.5, float("nan"), None][:scans], pa.float64()),
        "regime": pa.array(["BULL", "BEAR", "BULL"][:scans], pa.utf8()).dictionary_encode(),
        "symbol": pa.array([symbols[k] for k in range(scans)], pa.utf8()).cast(sym_type),
        "flags": pa.array([True, None, False][:scans], pa.bool_()),
        "blob": pa.array([b"\x00\xff", None, b""][:scans], pa.binary()),
        "day": pa.array([0, 19000, -1][:scans], pa.date32()),
        "naive": pa.array([0, -1, 1700000000000][:scans], pa.timestamp("ms")),
        "wait": pa.array([5, -7, None][:scans], pa.duration("ns")),
        "nested": pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": "z"}][:scans],
                           pa.struct([("a", pa.int32()), ("b", pa.large_utf8())])),
        "empty": pa.nulls(scans),
        "pairs": pa.array([[("k", 1)], [], None][:scans], pa.map_(pa.utf8(), pa.int64())),
    }).replace_schema_metadata({"source": "pyarrow", "synthetic": "false"})


def drop_footer_version(path):
    """Rewrites an IPC file's footer so that it has no version field, as the pre-0.15 files of
    other Arrow writers have (the field then reads as V1): the footer's vtable entry for field 0
    (version) is set to 0, "absent"; the FlatBuffer stays valid."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        footer_len = struct.unpack_from("<i", data, len(data) - 10)[0]
        footer = len(data) - 10 - footer_len
        table = footer + struct.unpack_from("<I", data, footer)[0]
        vtable = table - struct.unpack_from("<i", data, table)[0]
        assert struct.unpack_from("<H", data, vtable)[0] >= 6, "footer vtable has no version slot"
        struct.pack_into("<H", data, vtable + 4, 0)
        f.seek(0)
        f.write(data)


def emit_legacy(out, table):
    """Pre-0.15 ("legacy": no 0xFFFFFFFF continuation marker, 4-byte end-of-stream) V4 files and
    streams: no record batch, one zero-length batch, and a normal one for contrast; plus files
    whose footer has no version. Each is read back with pyarrow before it is listed."""
    legacy = ipc.IpcWriteOptions(use_legacy_format=True, metadata_version=ipc.MetadataVersion.V4)
    cases = {"zero_batches": [],
             "empty_batch": [table.to_batches()[0].slice(0, 0)],
             "batches": table.to_batches(max_chunksize=2)}
    for case, batches in cases.items():
        rows = table_rows(pa.Table.from_batches(batches, schema=table.schema))
        expected = "".join(dumps(r) + "\n" for r in rows)
        for fmt, new, ext in [("file", ipc.new_file, "arrow"), ("stream", ipc.new_stream, "arrows")]:
            variants = [("", False)] + ([("_no_footer_version", True)] if fmt == "file" else [])
            for suffix, patch in variants:
                path = os.path.join(out, "pyarrow_legacy_%s_%s%s.%s" % (fmt, case, suffix, ext))
                with new(path, table.schema, options=legacy) as w:
                    for b in batches:
                        w.write_batch(b)
                if patch:
                    drop_footer_version(path)
                reader = ipc.open_file(path) if fmt == "file" else ipc.open_stream(path)
                back = reader.read_all()
                assert back.num_rows == sum(b.num_rows for b in batches), path
                with open(path + ".expected.jsonl", "w", encoding="utf-8") as f:
                    f.write(expected)
                print(path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    table = scan_table()
    expected = "\n".join(dumps(r) for r in table_rows(table)) + "\n"
    batches = table.to_batches(max_chunksize=2)  # several record batches

    def emit(name, write):
        path = os.path.join(out, name)
        write(path)
        with open(path + ".expected.jsonl", "w", encoding="utf-8") as f:
            f.write(expected)
        print(path)

    def new_file(path, **kw):
        with ipc.new_file(path, table.schema, options=ipc.IpcWriteOptions(**kw)) as w:
            for b in batches:
                w.write_batch(b)

    def new_stream(path, **kw):
        with ipc.new_stream(path, table.schema, options=ipc.IpcWriteOptions(**kw)) as w:
            for b in batches:
                w.write_batch(b)

    emit("pyarrow_file.arrow", new_file)
    emit("pyarrow_stream.arrows", new_stream)
    emit("pyarrow_file_zstd.arrow", lambda p: new_file(p, compression="zstd"))
    emit("pyarrow_stream_lz4.arrows", lambda p: new_stream(p, compression="lz4"))
    emit("pyarrow_feather_default.feather", lambda p: feather.write_feather(table, p))
    emit("pyarrow_feather_zstd.feather", lambda p: feather.write_feather(table, p, compression="zstd"))
    emit("pyarrow_legacy_stream.arrows", lambda p: new_stream(p, use_legacy_format=True,
                                                              metadata_version=ipc.MetadataVersion.V4))

    emit_legacy(out, table)

    # Stream dictionaries that grow (delta batches) and that are replaced between batches.
    dict_type = pa.dictionary(pa.int32(), pa.utf8())

    def dict_batch(values, indices):
        arr = pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(values))
        return pa.record_batch([arr, pa.array(range(len(indices)), pa.int64())],
                               schema=pa.schema([("sym", dict_type), ("n", pa.int64())]))

    for name, first, second, deltas in [
            ("pyarrow_stream_deltas.arrows", (["A", "B"], [0, 1, 1]), (["A", "B", "C", "D"], [3, 2, 0]), True),
            ("pyarrow_stream_replaced.arrows", (["A", "B"], [1, 0]), (["X", "Y"], [1, 1, 0]), False)]:
        b1, b2 = dict_batch(*first), dict_batch(*second)
        path = os.path.join(out, name)
        with ipc.new_stream(path, b1.schema,
                            options=ipc.IpcWriteOptions(emit_dictionary_deltas=deltas)) as w:
            w.write_batch(b1)
            w.write_batch(b2)
        rows = table_rows(pa.Table.from_batches([b1, b2]))
        with open(path + ".expected.jsonl", "w", encoding="utf-8") as f:
            f.write("\n".join(dumps(r) for r in rows) + "\n")
        print(path)


if __name__ == "__main__":
    main()
