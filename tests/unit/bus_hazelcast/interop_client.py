"""Official hazelcast-python-client side of the interop tests (run from the .venv).

  interop_client.py put  HOST:PORT MAP PREFIX N    map.put(f"{PREFIX}{i}", json.dumps({...}))
  interop_client.py get  HOST:PORT MAP PREFIX N    prints json list of map.get(f"{PREFIX}{i}")
  interop_client.py set1 HOST:PORT MAP KEY VALUE   one put of a string value
  interop_client.py json HOST:PORT MAP KEY         prints json.loads(map.get(KEY)), or null
"""
import json
import sys

import hazelcast


def main():
    verb, address, map_name = sys.argv[1], sys.argv[2], sys.argv[3]
    client = hazelcast.HazelcastClient(cluster_name="dolphin", cluster_members=[address],
                                       smart_routing=False)
    try:
        m = client.get_map(map_name).blocking()
        if verb == "put":
            prefix, n = sys.argv[4], int(sys.argv[5])
            for i in range(n):
                m.put(f"{prefix}{i}", json.dumps({"i": i, "who": "python"}))
        elif verb == "get":
            prefix, n = sys.argv[4], int(sys.argv[5])
            out = []
            for i in range(n):
                v = m.get(f"{prefix}{i}")
                out.append(None if v is None else json.loads(v))
            print(json.dumps(out))
        elif verb == "set1":
            m.put(sys.argv[4], sys.argv[5])
        elif verb == "json":
            v = m.get(sys.argv[4])
            print(json.dumps(None if v is None else json.loads(v)))
        else:
            raise SystemExit(f"unknown verb {verb}")
    finally:
        client.shutdown()


if __name__ == "__main__":
    main()
