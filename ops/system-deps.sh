#!/usr/bin/env bash
# Installs the system packages searchsvc needs (PostgreSQL 15 with contrib) when they are missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail

bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
need=()
[ -x "$bindir/initdb" ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pg_trgm.control ] || need+=(postgresql-contrib)
command -v runuser >/dev/null || need+=(util-linux)

if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing system packages: ${need[*]} (install them, or run as root)" >&2
        exit 1
    fi
    echo "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
