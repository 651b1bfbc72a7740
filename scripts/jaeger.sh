#!/usr/bin/env bash
# Builds Jaeger (its v2 all-in-one: an OTLP receiver, in-memory storage, the query API) from the Go
# module proxy into the test cache, keyed by version: test/e2e/tracing.e2e.ts sends the shim's spans
# to it and reads them back. `go install jaeger@version` refuses the module (its go.mod has a replace
# directive), so it is built inside the downloaded module, as cri-tools.sh builds critest.
# Idempotent: a cached version is kept.
set -euo pipefail
CACHE=${WASMTS_TEST_CACHE:-/var/cache/wasmts-test}
JAEGER=v1.76.0
BIN=$CACHE/jaeger-$JAEGER
[ -x "$BIN/jaeger" ] && exit 0
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "jaeger: go is not on PATH (jaeger is built with go build): install Go 1.26" >&2; exit 1; }
export GOPATH=${GOPATH:-$CACHE/go} GOCACHE=${GOCACHE:-$CACHE/go-build} GOFLAGS=-modcacherw
echo "jaeger: building jaeger $JAEGER from the Go module proxy (several minutes, once)"
module=$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$module" ] || { echo "jaeger: the Go module proxy did not give github.com/jaegertracing/jaeger@$JAEGER" >&2; exit 1; }
rm -rf "$BIN.tmp"
mkdir -p "$BIN.tmp"
(cd "$module" && CGO_ENABLED=0 go build -o "$BIN.tmp/jaeger" ./cmd/jaeger)
rm -rf "$BIN"
mv "$BIN.tmp" "$BIN"
