#!/usr/bin/env bash
# Optional: what the benchmark (ops/bench/run.py) needs beyond ops/system-deps.sh: wrk and hey,
# HTTP load generators (Debian packages). The service and its tests never need them.
set -euo pipefail
command -v wrk >/dev/null && command -v hey >/dev/null && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing: wrk or hey (install the Debian packages, or run as root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq wrk hey >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk hey >/dev/null; }
