#!/usr/bin/env bash
# Services the tests exercise, on a fresh Debian/Ubuntu machine: the Docker engine (docker.io,
# started without touching iptables or bridges), the sandbox image (built locally, no download),
# headless Chromium (report screenshot), iproute2/util-linux (Ray's loopback-only namespace) and
# g++. Idempotent: with everything present it only checks. Without root or apt it says what is
# missing and exits 0, so the tests then skip with their own reasons.
# Usage: bash scripts/setup_test_machine.sh   (the README's test command runs it after pip install)
set -uo pipefail
cd "$(dirname "$0")/.."
say() { echo "setup_test_machine: $*"; }

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v chromium-headless-shell >/dev/null || command -v chromium >/dev/null || need+=(chromium-headless-shell)
command -v ip >/dev/null && command -v ss >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
command -v g++ >/dev/null || need+=(g++)

if ((${#need[@]})); then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        say "skipped installing ${need[*]}: needs root and apt-get (the tests that use them will skip)"
    else
        say "installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
            || say "apt-get install ${need[*]} failed (the tests that use them will skip)"
    fi
fi

# A Docker engine: use the one that answers, else start dockerd in the background (root only).
if command -v docker >/dev/null && ! docker info >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null && [ -z "${DOCKER_HOST:-}" ]; then
        log=${TMPDIR:-/tmp}/kernelgepa-dockerd.log
        say "starting dockerd (log: $log)"
        nohup dockerd --iptables=false --bridge=none >"$log" 2>&1 &
        for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
        docker info >/dev/null 2>&1 || say "dockerd did not answer within 60 s (see $log)"
    else
        say "no Docker engine answers and none can be started here (needs root and dockerd)"
    fi
fi

# The sandbox image: an empty root the host's system is mounted into (no download).
if docker info >/dev/null 2>&1; then
    python -m kernelgepa.cli sandbox build-image >/dev/null 2>&1 \
        || python -m kernelgepa.cli sandbox build-image || say "could not build the sandbox image"
fi
exit 0
