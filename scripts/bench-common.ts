// What the benchmarks share: percentiles, what processes cost as /proc tells it, and the hello wasm
// image whose `ctr run --rm` is set against a busybox echo through containerd's own runc shim.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImageArchive, wasmImage } from '../oci/image.ts';
import { BUSYBOX_IMAGE, FIXTURE_OUT } from '../test/fixtures/build.ts';

export const HELLO = 'docker.io/wasmts/hello:bench';

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const pssKb = (pid: number) => Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

// CPU time the whole machine has spent working, in ms: for work spread over processes too
// short-lived to read one by one. Steal is the hypervisor running someone else: not ours.
export function machineBusyMs(): number {
  const [, ...times] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = times.map(Number);
  return ((user + nice + system + irq + softirq) * 1000) / ticksPerSecond;
}

// The image is made from this run's hello.wasm, so it never lags behind the fixture's source.
export async function writeHelloArchive(hello: Uint8Array): Promise<string> {
  const archive = join(FIXTURE_OUT, 'hello-bench.tar');
  writeFileSync(archive, await buildImageArchive(wasmImage(HELLO, hello, '/hello.wasm')));
  return archive;
}

export const wasmHelloRun = (id: string) => ['run', '--rm', '--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm', HELLO, id, '/hello.wasm'];
export const runcEchoRun = (id: string) => ['run', '--rm', '--runtime', 'io.containerd.runc.v2', BUSYBOX_IMAGE, id, 'echo', 'hello'];
