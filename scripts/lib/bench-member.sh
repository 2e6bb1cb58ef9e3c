# Sourced by the bench-*.sh scripts that need a Hazelcast member: starts one on a free
# loopback port in a fresh folder, stopped (and the folder removed) when the script exits.
# After `bench_member_start NAME`: $member_port, $member_dir. REQUIRES: cwd = repository root.
bench_member_start() {
  member_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  member_dir=$(mktemp -d "/tmp/dolphin-$1-member-XXXXXX")
  trap 'scripts/hazelcast.sh stop --port "$member_port" --dir "$member_dir" >/dev/null || true; rm -rf "$member_dir"' EXIT
  scripts/hazelcast.sh start --port "$member_port" --dir "$member_dir" --watch-pid $$
}
