#!/bin/sh
# Provides the real log servers the specs run against (redis-server, nats-server):
# installs Debian's packages when they are missing and this machine allows it,
# otherwise fails naming what is missing. Never skips silently.
set -eu
PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin"
missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v nats-server >/dev/null 2>&1 || missing="$missing nats-server"
[ -z "$missing" ] && exit 0

echo "ensure-log-servers: missing:$missing; installing Debian's packages" >&2
sudo=""
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && sudo="sudo -n"; }
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; }; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq $missing >&2 || true
fi
still=""
for server in $missing; do command -v "$server" >/dev/null 2>&1 || still="$still $server"; done
if [ -n "$still" ]; then
  echo "ensure-log-servers: the specs need$still on PATH and this machine cannot install them." >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y redis-server nats-server" >&2
  echo "  macOS: brew install redis nats-server" >&2
  exit 1
fi
