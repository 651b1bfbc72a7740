#!/usr/bin/env bash
# Builds critest (containerd's and CRI-O's CRI conformance suite), crictl and the ginkgo CLI (critest
# --parallel runs its specs through the ginkgo binary on PATH, at the version critest's go.mod names)
# from the Go module proxy into the test cache, keyed by version (test/e2e/critest.e2e.ts runs them).
# Idempotent: a cached version is kept.
set -euo pipefail
CACHE=${WASMTS_TEST_CACHE:-/var/cache/wasmts-test}
CRI_TOOLS=v1.37.0
BIN=$CACHE/cri-tools-$CRI_TOOLS
[ -x "$BIN/critest" ] && [ -x "$BIN/crictl" ] && [ -x "$BIN/ginkgo" ] && exit 0
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "cri-tools: go is not on PATH (critest is built with go install): install Go 1.26" >&2; exit 1; }
export GOPATH=${GOPATH:-$CACHE/go} GOCACHE=${GOCACHE:-$CACHE/go-build}
echo "cri-tools: building critest and crictl $CRI_TOOLS from the Go module proxy"
rm -rf "$BIN.tmp"
mkdir -p "$BIN.tmp"
GOBIN=$BIN.tmp CGO_ENABLED=0 go install "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS"
# critest is a Go test binary (cri-tools' Makefile builds it with go test -c): built from the module's
# own go.mod, in the module cache that go install above filled.
module=$(go env GOMODCACHE)/sigs.k8s.io/cri-tools@$CRI_TOOLS
(cd "$module" && CGO_ENABLED=0 go test -c -o "$BIN.tmp/critest" ./cmd/critest)
ginkgo=$(cd "$module" && go list -m -f '{{.Version}}' github.com/onsi/ginkgo/v2)
GOBIN=$BIN.tmp CGO_ENABLED=0 go install "github.com/onsi/ginkgo/v2/ginkgo@$ginkgo"
rm -rf "$BIN"
mv "$BIN.tmp" "$BIN"
