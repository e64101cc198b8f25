#!/usr/bin/env bash
# Build, once per machine, the control plane the tests run (docs/control-plane.md): etcd,
# kube-apiserver and MetalLB's controller from their Go modules at the versions in versions.env,
# and download the modules whose CRDs up.sh applies. Everything lands in
#   ${SITEC_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sitec-control-plane}/<key>/
# where <key> digests versions.env, this script and the Go version; a finished directory is reused.
# Prints that directory on stdout (progress goes to stderr). Needs go on PATH and the Go module proxy.
#
# usage: build.sh [--check]
#   --check  build nothing: print the directory when it is built, else exit 1
set -euo pipefail
check=''
case "${1:-}" in
  '') ;;
  --check) check=1 ;;
  *) echo "usage: build.sh [--check]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

command -v go >/dev/null 2>&1 || { echo "build.sh: go is not on PATH" >&2; exit 1; }
key=$( { cat "$here/versions.env" "$here/build.sh"; go version; } | sha256sum | cut -c1-16)
root=${SITEC_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sitec-control-plane}
dest="$root/$key"
if [ -f "$dest/complete" ]; then
  [ -n "$check" ] || echo "control plane: reusing $dest" >&2
  echo "$dest"
  exit 0
fi
[ -z "$check" ] || { echo "control plane: not built (no $dest): run scripts/control-plane/build.sh" >&2; exit 1; }

mkdir -p "$root"
work=$(mktemp -d "$root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
start=$(date +%s)
# GOFLAGS from the environment would reach the wrapper modules: only these apply.
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local CGO_ENABLED=0

# wrapper NAME: a Go module of our own in $work/NAME that requires the programs' modules.
wrapper() {
  mkdir "$work/$1"
  (cd "$work/$1" && go mod init "sitec.local/control-plane/$1" >/dev/null 2>&1)
}

# kube-apiserver. k8s.io/kubernetes replaces every staging module (k8s.io/api, ...) with a path
# inside its own tree, which a module that requires it cannot use: pin each to the published
# module of the same release (Kubernetes v1.X.Y: the modules v0.X.Y), as the Kubernetes project advises for
# depending on k8s.io/kubernetes.
build_kube_apiserver() {
  echo "control plane: building kube-apiserver $KUBERNETES_VERSION" >&2
  wrapper kube-apiserver
  local staging="v0.${KUBERNETES_VERSION#v1.}" gomod
  gomod=$(cd "$work/kube-apiserver" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  {
    echo
    echo "replace ("
    sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  } >>"$work/kube-apiserver/go.mod"
  (
    cd "$work/kube-apiserver"
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" >&2
    go build -o "$work/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
  )
}

build_etcd() {
  echo "control plane: building etcd $ETCD_VERSION" >&2
  wrapper etcd
  (
    cd "$work/etcd"
    go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    go build -o "$work/bin/etcd" go.etcd.io/etcd/server/v3 >&2
  )
}

build_metallb() {
  echo "control plane: building MetalLB's controller $METALLB_VERSION" >&2
  wrapper metallb
  (
    cd "$work/metallb"
    go get -tool "go.universe.tf/metallb/controller@$METALLB_VERSION" >&2
    go build -o "$work/bin/metallb-controller" go.universe.tf/metallb/controller >&2
  )
}

# The CRDs up.sh applies, copied out of the Go module cache (which may be cleaned) into crds/:
# metallb/ (config/crd/bases), istio/ (kubernetes/customresourcedefinitions.gen.yaml) and
# gateway-api/<version>/<channel>/ (config/crd/<channel>).
module_dir() { (cd "$work" && go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }
download_crds() {
  echo "control plane: downloading the CRD modules" >&2
  local dir v channel
  mkdir -p "$work/crds/metallb" "$work/crds/istio"
  dir=$(module_dir "go.universe.tf/metallb@$METALLB_VERSION")
  cp "$dir"/config/crd/bases/*.yaml "$work/crds/metallb/"
  dir=$(module_dir "istio.io/api@$ISTIO_API_VERSION")
  cp "$dir/kubernetes/customresourcedefinitions.gen.yaml" "$work/crds/istio/"
  for v in $GATEWAY_API_VERSIONS; do
    dir=$(module_dir "sigs.k8s.io/gateway-api@$v")
    for channel in standard experimental; do
      mkdir -p "$work/crds/gateway-api/$v/$channel"
      cp "$dir/config/crd/$channel"/*_*.yaml "$work/crds/gateway-api/$v/$channel/"
    done
  done
  chmod -R u+w "$work/crds"
}

download_crds
build_etcd
build_metallb
build_kube_apiserver
cp "$here/versions.env" "$work/versions.env"
for b in etcd kube-apiserver metallb-controller; do "$work/bin/$b" --version >/dev/null 2>&1 || [ "$b" = metallb-controller ] || { echo "build.sh: $b does not run" >&2; exit 1; }; done
rm -rf "$work/kube-apiserver" "$work/etcd" "$work/metallb"
echo "built in $(($(date +%s) - start))s with $(go version | cut -d' ' -f3)" >"$work/complete"
rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
echo "control plane: built in $dest ($(cat "$dest/complete"))" >&2
echo "$dest"
