#!/usr/bin/env bash
# make container-test: build the image with podman on a local Debian bookworm base
# (debootstrap --variant=minbase, imported with podman import, cached in .cache/),
# run it with a data volume, check the login page and a report through a unit's
# link in chromium, restart the container and check that the report is still there.
# Installs podman, runc and debootstrap from Debian's packages when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.cache/container
BASE_TAR=$CACHE/bookworm-minbase.tar
BASE_IMAGE=localhost/kb-bookworm-minbase:latest
IMAGE=localhost/varna:container-test
NAME=varna-container-test
VOLUME=varna-container-test-data
MIRROR=${KB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
START=$(date +%s)

say() { echo "==> $* ($(( $(date +%s) - START )) s)"; }

missing=()
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    say "Installerar ${missing[*]} från Debians paket"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
  else
    echo "Saknas: ${missing[*]}. Kör som root: apt-get install podman runc debootstrap" >&2
    exit 1
  fi
fi

mkdir -p "$CACHE"
# What these machines need: runc with cgroupfs, no default ulimits, host network.
cat > "$CACHE/containers.conf" <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$CACHE/containers.conf
pm() { podman --runtime runc --cgroup-manager=cgroupfs "$@"; }

if ! pm image exists "$BASE_IMAGE"; then
  if [ ! -s "$BASE_TAR" ]; then
    say "Bygger basavbilden med debootstrap --variant=minbase bookworm"
    rootfs=$CACHE/rootfs
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
    rm -rf "$rootfs"
  fi
  say "Importerar basavbilden"
  pm import "$BASE_TAR" "$BASE_IMAGE" >/dev/null 2>&1
fi

# The build's downloads trust what this machine trusts (a TLS-inspecting proxy's CA).
CA_FILE=${KB_BUILD_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
ca_args=()
if [ -s "$CA_FILE" ]; then
  ca_args=(-v "$CA_FILE:/run/kb-build-ca.crt:ro" --build-arg BUILD_CA_FILE=/run/kb-build-ca.crt)
fi
say "Bygger avbilden (podman build, lagren cachas)"
pm build --format docker --network host --layers "${ca_args[@]}" \
  --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" . >"$CACHE/build.log" 2>&1 \
  || { tail -40 "$CACHE/build.log" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

cleanup() {
  pm rm -f "$NAME" >/dev/null 2>&1 || true
  pm volume rm -f "$VOLUME" >/dev/null 2>&1 || true
}
cleanup
trap 'pm logs "$NAME" >"$CACHE/container.log" 2>&1 || true; cleanup' EXIT
pm volume create "$VOLUME" >/dev/null

wait_healthy() {
  for _ in $(seq 1 240); do
    if curl -fsS "$BASE/_health" >/dev/null 2>&1; then return 0; fi
    if [ "$(pm inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" != true ]; then
      pm logs "$NAME" 2>&1 | tail -40 >&2; echo "Containern stannade." >&2; return 1
    fi
    sleep 1
  done
  pm logs "$NAME" 2>&1 | tail -40 >&2; echo "Containern svarade inte på /_health." >&2; return 1
}

say "Startar containern på $BASE"
pm run -d --name "$NAME" --network host -v "$VOLUME:/app/data" \
  -e KB_PORT="$PORT" -e KB_PUBLIC_URL="$BASE" -e KB_DEMO=1 -e KB_SECRET_KEY= \
  "$IMAGE" >/dev/null 2>>"$CACHE/podman.log"
wait_healthy
say "Containern svarar"
curl -fsS "$BASE/_health" | grep -q '"migrations": *"ok"' \
  || { echo "/_health svarar inte som väntat" >&2; exit 1; }
pm healthcheck run "$NAME" >/dev/null || { echo "HEALTHCHECK misslyckades" >&2; exit 1; }
[ "$(pm exec "$NAME" id -u)" != 0 ] || { echo "Containern kör som root" >&2; exit 1; }

LINK=$(pm exec "$NAME" .venv/bin/kb-app report-links | grep -o "$BASE/anmalan/[^ ]*" | head -1)
REFERENCE=$(.venv/bin/python scripts/container_check.py "$BASE" --report-link "$LINK")
say "Anmälan $REFERENCE skickad genom länken"

say "Säkerhetskopierar den körande installationen och återställer i en tom mapp"
pm exec "$NAME" .venv/bin/kb-app backup /tmp/kopia.tar.gz
pm exec -e KB_DATA_DIR=/tmp/restore "$NAME" .venv/bin/kb-app restore /tmp/kopia.tar.gz
pm exec -e KB_DATA_DIR=/tmp/restore "$NAME" .venv/bin/kb-app audit verify
if pm exec "$NAME" .venv/bin/kb-app restore /tmp/kopia.tar.gz >/dev/null 2>&1; then
  echo "restore skrev över den levande datamappen" >&2; exit 1
fi

say "Startar om containern"
pm restart "$NAME" >/dev/null 2>>"$CACHE/podman.log"
wait_healthy
.venv/bin/python scripts/container_check.py "$BASE" >/dev/null
pm exec "$NAME" .venv/bin/python -c "
import sqlite3, sys
n = sqlite3.connect('/app/data/kb.db').execute(
    'SELECT count(*) FROM kb_case WHERE reference = ?', (sys.argv[1],)).fetchone()[0]
sys.exit(0 if n == 1 else 1)" "$REFERENCE" \
  || { echo "Anmälan $REFERENCE finns inte kvar efter omstarten" >&2; exit 1; }
pm exec "$NAME" .venv/bin/kb-app audit verify
say "container-test klart: inloggning, anmälan och data kvar efter omstart"
