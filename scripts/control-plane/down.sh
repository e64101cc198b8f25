#!/usr/bin/env bash
# Stop a control plane up.sh started in DIR and remove DIR (--keep: leave DIR, e.g. to read its logs).
# Only the processes whose pids up.sh recorded in DIR/run/ are stopped.
set -uo pipefail
[ "$#" -ge 1 ] || { echo "usage: down.sh DIR [--keep]" >&2; exit 2; }
dir=$1
keep=${2:-}
[ -d "$dir" ] || exit 0
# MetalLB's controller first, then the API server, then etcd.
for name in metallb-controller kube-apiserver etcd; do
  f="$dir/run/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || { rm -f "$f"; continue; }
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
done
[ "$keep" = --keep ] || rm -rf "$dir"
