#!/usr/bin/env bash
# Start a control plane on loopback for a test run (docs/control-plane.md): etcd and kube-apiserver
# (no kubelet, no scheduler, no controller manager), the CRDs of MetalLB and Istio (and of the
# Gateway API when asked), and MetalLB's controller against it, in the namespace metallb-system.
#
# usage: up.sh DIR [--gateway-api VERSION/CHANNEL]
#   DIR  a new (or empty) directory for certificates, data, logs and DIR/kubeconfig; down.sh DIR stops it
#   --gateway-api VERSION/CHANNEL  apply that release's CRDs of that channel (versions.env lists them)
# Prints DIR/kubeconfig's server URL on stdout once the API server is ready and the CRDs are established.
# Needs the programs build.sh builds (SITEC_CONTROL_PLANE_BIN: their directory; else build.sh is run),
# kubectl, openssl and python3 (to find free ports). Listens on 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[ "$#" -ge 1 ] || { sed -n '5,8p' "$0" >&2; exit 2; }
dir=$1
shift
gateway_api=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --gateway-api)
      [ "$#" -ge 2 ] || { echo "up.sh: --gateway-api needs VERSION/CHANNEL" >&2; exit 2; }
      gateway_api=$2
      shift
      ;;
    *) echo "up.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

cp_bin=${SITEC_CONTROL_PLANE_BIN:-$("$here/build.sh")}
# shellcheck source=versions.env
. "$cp_bin/versions.env"
for b in etcd kube-apiserver metallb-controller; do
  [ -x "$cp_bin/bin/$b" ] || { echo "up.sh: $cp_bin/bin/$b missing: run scripts/control-plane/build.sh" >&2; exit 1; }
done
if [ -n "$gateway_api" ] && [ ! -d "$cp_bin/crds/gateway-api/$gateway_api" ]; then
  echo "up.sh: no Gateway API CRDs $gateway_api in $cp_bin/crds/gateway-api (add the version to versions.env)" >&2
  exit 1
fi

mkdir -p "$dir"
[ -z "$(ls -A "$dir")" ] || { echo "up.sh: $dir is not empty" >&2; exit 2; }
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/pki" "$dir/logs" "$dir/run"
export KUBECONFIG="$dir/kubeconfig"

# Four free loopback ports: etcd client and peer, the API server, MetalLB's metrics and health probe.
read -r p_etcd p_peer p_api p_metrics p_health < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
')

# Certificates: a CA, the API server's serving certificate (127.0.0.1, ::1, localhost), an admin
# client certificate in system:masters, and the service-account signing key pair.
pki=$dir/pki
ossl() { openssl "$@" 2>>"$dir/logs/openssl.log"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sitec-test-ca" -keyout "$pki/ca.key" -out "$pki/ca.crt"
cat >"$pki/server.ext" <<EXT
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth
EXT
ossl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$pki/server.key" -out "$pki/server.csr"
ossl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -extfile "$pki/server.ext" -out "$pki/server.crt"
printf 'extendedKeyUsage=clientAuth\n' >"$pki/client.ext"
ossl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=sitec-test-admin" -keyout "$pki/admin.key" -out "$pki/admin.csr"
ossl x509 -req -in "$pki/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -extfile "$pki/client.ext" -out "$pki/admin.crt"
ossl genrsa -out "$pki/sa.key" 2048
ossl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

url="https://127.0.0.1:$p_api"
kubectl config set-cluster test --server="$url" --certificate-authority="$pki/ca.crt" --embed-certs >/dev/null
kubectl config set-credentials admin --client-certificate="$pki/admin.crt" --client-key="$pki/admin.key" --embed-certs >/dev/null
kubectl config set-context test --cluster=test --user=admin >/dev/null
kubectl config use-context test >/dev/null

# start NAME COMMAND...: in the background, its pid in run/NAME.pid, its output in logs/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$dir/logs/$name.log" 2>&1 &
  echo "$!" >"$dir/run/$name.pid"
}
fail() {
  echo "up.sh: $1; the last lines of $dir/logs/$2.log:" >&2
  tail -n 20 "$dir/logs/$2.log" >&2 || true
  "$here/down.sh" "$dir" --keep >&2 || true
  exit 1
}

start etcd "$cp_bin/bin/etcd" --name test --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$p_etcd" --advertise-client-urls "http://127.0.0.1:$p_etcd" \
  --listen-peer-urls "http://127.0.0.1:$p_peer" --initial-advertise-peer-urls "http://127.0.0.1:$p_peer" \
  --initial-cluster "test=http://127.0.0.1:$p_peer" --unsafe-no-fsync --log-level warn

# Dual-stack Service ranges, so a RequireDualStack Service gets both families.
start kube-apiserver "$cp_bin/bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$p_etcd" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$p_api" \
  --tls-cert-file "$pki/server.crt" --tls-private-key-file "$pki/server.key" --cert-dir "$dir/pki" \
  --client-ca-file "$pki/ca.crt" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16,fd00:10:96::/112 \
  --endpoint-reconciler-type none --enable-priority-and-fairness=false --profiling=false

ready=''
for _ in $(seq 1 240); do
  kill -0 "$(cat "$dir/run/etcd.pid")" 2>/dev/null || fail "etcd exited" etcd
  kill -0 "$(cat "$dir/run/kube-apiserver.pid")" 2>/dev/null || fail "kube-apiserver exited" kube-apiserver
  if kubectl get --raw /readyz >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || fail "kube-apiserver not ready after 120 s" kube-apiserver

apply() { kubectl apply --server-side --field-manager sitec-control-plane -f "$1" >>"$dir/logs/apply.log" 2>&1 || fail "kubectl apply -f $1 failed" apply; }
apply "$cp_bin/crds/metallb"
apply "$cp_bin/crds/istio"
[ -z "$gateway_api" ] || apply "$cp_bin/crds/gateway-api/$gateway_api"
kubectl wait --for condition=Established --timeout 60s crd --all >>"$dir/logs/apply.log" 2>&1 || fail "CRDs not established" apply
# What MetalLB's manifest (config/manifests/metallb-native.yaml) gives its controller: the namespace,
# a service account and a pod, which the controller reads at start for its owner references. No
# kubelet runs it: the pod stays Pending, and the controller runs here as a process.
kubectl apply --server-side --field-manager sitec-control-plane -f - >>"$dir/logs/apply.log" 2>&1 <<YAML || fail "cannot create metallb-system" apply
apiVersion: v1
kind: Namespace
metadata:
  name: metallb-system
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: controller
  namespace: metallb-system
---
apiVersion: v1
kind: Pod
metadata:
  name: controller
  namespace: metallb-system
  labels:
    app: metallb
    component: controller
spec:
  serviceAccountName: controller
  automountServiceAccountToken: false
  containers:
    - name: controller
      image: quay.io/metallb/controller:$METALLB_VERSION
YAML

# MetalLB's controller (not its speaker: no nodes here to announce from), without its webhooks.
start metallb-controller env METALLB_BGP_TYPE=native "$cp_bin/bin/metallb-controller" \
  --namespace metallb-system --pod-name controller --webhook-mode disabled --disable-cert-rotation \
  --port "$p_metrics" --health-probe-port "$p_health" --log-level info
for _ in $(seq 1 120); do
  kill -0 "$(cat "$dir/run/metallb-controller.pid")" 2>/dev/null || fail "MetalLB's controller exited" metallb-controller
  if curl -fsS "http://127.0.0.1:$p_health/readyz" >/dev/null 2>&1; then ready=2; break; fi
  sleep 0.5
done
[ "$ready" = 2 ] || fail "MetalLB's controller not ready after 60 s" metallb-controller
echo "$url"
