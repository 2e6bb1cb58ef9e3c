#!/usr/bin/env bash
# Hazelcast member for tests and benchmarks: a Java runtime (Debian openjdk-17-jre-headless),
# Maven (Debian maven), and the member jar fetched by its Maven coordinates
# com.hazelcast:hazelcast:<version> with `mvn dependency:copy` from Maven's default repository
# (strict checksums), into .cache/hazelcast/hazelcast-<version>.jar + the symlink hazelcast.jar.
# Idempotent: does nothing when java and a jar matching its recorded SHA-1 are already there.
#   HAZELCAST_VERSION   the member version (default 5.7.0)
#   HAZELCAST_DIR       where the jar goes (default .cache/hazelcast)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/debian-packages.sh

HZ_VERSION=${HAZELCAST_VERSION:-5.7.0}
dir=${HAZELCAST_DIR:-.cache/hazelcast}
jar=$dir/hazelcast-$HZ_VERSION.jar

ensure_command java openjdk-17-jre-headless
ensure_command mvn maven

present() {  # the jar and the SHA-1 recorded when it was fetched agree
  [[ -f $jar && -f $jar.sha1 ]] || return 1
  local want got
  want=$(tr -d ' \r\n' < "$jar.sha1" | cut -c1-40)
  got=$(sha1sum "$jar" | cut -d' ' -f1)
  [[ ${#want} -eq 40 && "$want" == "$got" ]]
}

mkdir -p "$dir"
if present; then
  echo "setup: hazelcast $HZ_VERSION jar present ($jar)"
  exit 0
fi

echo "setup: fetching com.hazelcast:hazelcast:$HZ_VERSION with Maven"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# --strict-checksums: a download whose checksum does not match fails instead of warning.
# Run from the empty temporary folder so that no pom.xml around is picked up.
(cd "$tmp" && mvn -B -q -Dstyle.color=never --strict-checksums dependency:copy \
  "-Dartifact=com.hazelcast:hazelcast:$HZ_VERSION" -DoutputDirectory=. \
  -Dmdep.overWriteReleases=true)
fetched=$tmp/hazelcast-$HZ_VERSION.jar
if [[ ! -s $fetched ]]; then
  echo "setup: mvn dependency:copy did not produce hazelcast-$HZ_VERSION.jar" >&2
  exit 1
fi
sha1sum "$fetched" | cut -d' ' -f1 > "$tmp/sha1"
chmod 644 "$fetched" "$tmp/sha1"
mv "$tmp/sha1" "$jar.sha1"
mv "$fetched" "$jar"
ln -sfn "hazelcast-$HZ_VERSION.jar" "$dir/hazelcast.jar"
echo "setup: hazelcast $HZ_VERSION jar ready ($jar, sha1 $(cat "$jar.sha1"))"
