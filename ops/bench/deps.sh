#!/usr/bin/env bash
# Optional: what the benchmark (ops/bench/run.py) needs beyond ops/system-deps.sh: wrk, the
# HTTP load generator (Debian package). The service and its tests never need it.
set -euo pipefail
command -v wrk >/dev/null && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing: wrk (install the Debian package, or run as root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
