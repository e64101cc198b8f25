#!/usr/bin/env bash
# Dump a control plane the way a cluster is dumped for `sitec verify` and `sitec import`: runs the
# collector sitec wrote for the cluster (clusters/<cluster>/collect.sh: `kubectl get <kind> -A -o yaml`
# of every kind sitec writes and of the runtime kinds verify reads) against DIR/kubeconfig (its
# context, not the one the site names), so the dump has exactly the collector's layout:
# OUT/clusters/<cluster>/<kind>.yaml and errors.txt.
#
# usage: dump.sh DIR CLUSTER_OUTPUT OUT
#   DIR             the control plane's directory (up.sh DIR)
#   CLUSTER_OUTPUT  the cluster's directory of a build: out/<example>/clusters/<cluster>
#   OUT             where the dump goes (collect.sh --out)
set -euo pipefail
[ "$#" -eq 3 ] || { sed -n '8,11p' "$0" >&2; exit 2; }
dir=$1 cluster=$2 out=$3
[ -f "$dir/kubeconfig" ] || { echo "dump.sh: no $dir/kubeconfig: start one with up.sh $dir" >&2; exit 2; }
[ -f "$cluster/collect.sh" ] || { echo "dump.sh: no $cluster/collect.sh" >&2; exit 2; }
KUBECONFIG="$dir/kubeconfig" bash "$cluster/collect.sh" --out "$out" --context "$(KUBECONFIG="$dir/kubeconfig" kubectl config current-context)"
