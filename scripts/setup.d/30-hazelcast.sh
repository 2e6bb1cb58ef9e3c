#!/usr/bin/env bash
# Hazelcast member for tests and benchmarks: a Java runtime (Debian openjdk-17-jre-headless)
# and the com.hazelcast:hazelcast jar from Maven Central, SHA-1 verified, in .cache/hazelcast/.
# Idempotent: does nothing when java and a verified jar are already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

HZ_VERSION=${HAZELCAST_VERSION:-5.7.0}
MAVEN_REPO=${MAVEN_REPO:-https://repo1.maven.org/maven2}
dir=.cache/hazelcast
jar=$dir/hazelcast-$HZ_VERSION.jar
url=$MAVEN_REPO/com/hazelcast/hazelcast/$HZ_VERSION/hazelcast-$HZ_VERSION.jar

if ! command -v java >/dev/null 2>&1; then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing openjdk-17-jre-headless"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends openjdk-17-jre-headless
fi

verify() {  # verify <jar> <sha1-file>
  local want got
  want=$(tr -d ' \r\n' < "$2" | cut -c1-40)
  got=$(sha1sum "$1" | cut -d' ' -f1)
  [[ ${#want} -eq 40 && "$want" == "$got" ]]
}

mkdir -p "$dir"
if [[ -f $jar && -f $jar.sha1 ]] && verify "$jar" "$jar.sha1"; then
  echo "setup: hazelcast $HZ_VERSION jar present ($jar)"
  exit 0
fi

echo "setup: downloading $url"
tmp=$(mktemp "$dir/.download.XXXXXX")
trap 'rm -f "$tmp" "$tmp.sha1"' EXIT
curl -fsSL --retry 3 -o "$tmp.sha1" "$url.sha1"
curl -fsSL --retry 3 -o "$tmp" "$url"
if ! verify "$tmp" "$tmp.sha1"; then
  echo "setup: SHA-1 mismatch for $url (want $(cat "$tmp.sha1"), got $(sha1sum "$tmp" | cut -d' ' -f1))" >&2
  exit 1
fi

chmod 644 "$tmp" "$tmp.sha1"
mv "$tmp.sha1" "$jar.sha1"
mv "$tmp" "$jar"
ln -sfn "hazelcast-$HZ_VERSION.jar" "$dir/hazelcast.jar"
echo "setup: hazelcast $HZ_VERSION jar verified ($jar)"
