"""Reads an Arrow IPC file or stream with pyarrow, validates it fully and prints its rows as JSON
Lines by dolphin's conventions, then one line `#schema <schema metadata as JSON>`.
Usage: read_with_pyarrow.py FILE"""
import json
import sys

import pyarrow as pa
import pyarrow.ipc as ipc

from arrow_json import dumps, table_rows


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic == b"ARROW1":
        table = ipc.open_file(path).read_all()
    else:
        table = ipc.open_stream(path).read_all()
    table.validate(full=True)
    for row in table_rows(table):
        print(dumps(row))
    md = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    print("#schema " + json.dumps({"metadata": md, "types": [str(t) for t in table.schema.types]}))


if __name__ == "__main__":
    main()
