#!/usr/bin/env bash
# Fetches the containerd versions the e2e tests run against into a cache outside the clone, each with
# its own ctr and containerd-shim-runc-v2: 1.7 and 2.1 as Debian .debs from trixie and sid (a private
# apt state: the host's sources and its installed containerd stay as they are), 2.3 built from the Go
# module proxy. 1.6 is Debian 12's own package (setup.sh). Idempotent: a cached version is kept.
set -euo pipefail
CACHE=${WASMTS_TEST_CACHE:-/var/cache/wasmts-test}
CONTAINERD_23=v2.3.7
mkdir -p "$CACHE"

have() { [ -x "$1/containerd" ] && [ -x "$1/ctr" ] && [ -x "$1/containerd-shim-runc-v2" ]; }

debs=()
have "$CACHE/containerd-1.7/usr/bin" || debs+=("1.7:trixie")
have "$CACHE/containerd-2.1/usr/bin" || debs+=("2.1:sid")
if [ ${#debs[@]} -gt 0 ]; then
  D=$CACHE/apt
  mkdir -p "$D/lists/partial" "$D/archives/partial"
  M=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  M=${M:-http://deb.debian.org/debian}
  printf 'deb %s trixie main\ndeb %s sid main\n' "$M" "$M" > "$D/sources.list"
  O=(-o "Dir::Etc::SourceList=$D/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D" -o Debug::NoLocking=1)
  apt-get "${O[@]}" update -qq
  for entry in "${debs[@]}"; do
    version=${entry%%:*}; suite=${entry#*:}
    # sid moves: take whichever $version.x the suite lists today.
    full=$(apt-cache "${O[@]}" madison containerd | awk -v v="$version." -v s="$suite/" 'index($3, v) == 1 && index($0, s) {print $3; exit}')
    if [ -z "$full" ]; then echo "containerd-matrix: Debian $suite lists no containerd $version.x" >&2; exit 1; fi
    echo "containerd-matrix: containerd $full from Debian $suite"
    rm -f "$D"/containerd_*.deb
    (cd "$D" && apt-get "${O[@]}" download "containerd=$full" 2>&1 | grep -v 'unsandboxed' || true)
    rm -rf "$CACHE/containerd-$version.tmp"
    dpkg -x "$D"/containerd_*.deb "$CACHE/containerd-$version.tmp"
    rm -rf "$CACHE/containerd-$version"
    mv "$CACHE/containerd-$version.tmp" "$CACHE/containerd-$version"
  done
fi

if ! have "$CACHE/containerd-2.3/bin"; then
  # Go comes with the machine, not always on PATH.
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || { echo "containerd-matrix: go is not on PATH (containerd 2.3 is built with go install): install Go 1.26" >&2; exit 1; }
  # Go's caches beside the build, outside the clone, whatever HOME the run has.
  export GOPATH=${GOPATH:-$CACHE/go} GOCACHE=${GOCACHE:-$CACHE/go-build}
  echo "containerd-matrix: building containerd $CONTAINERD_23 from the Go module proxy"
  rm -rf "$CACHE/containerd-2.3.tmp"
  mkdir -p "$CACHE/containerd-2.3.tmp/bin"
  for cmd in containerd ctr containerd-shim-runc-v2; do
    GOBIN=$CACHE/containerd-2.3.tmp/bin CGO_ENABLED=0 go install "github.com/containerd/containerd/v2/cmd/$cmd@$CONTAINERD_23"
  done
  rm -rf "$CACHE/containerd-2.3"
  mv "$CACHE/containerd-2.3.tmp" "$CACHE/containerd-2.3"
fi
