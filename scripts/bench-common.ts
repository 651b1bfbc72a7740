// What the benchmarks share: percentiles, what processes cost as /proc tells it, the hello wasm
// image whose `ctr run --rm` is set against a busybox echo through containerd's own runc shim, and
// sleeping pods of either kind through CRI.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImageArchive, wasmImage } from '../oci/image.ts';
import type { CriClient } from '../test/cri/client.ts';
import { CONTAINER_RUNNING, removePod, runPod, startContainer, waitState, type Pod } from '../test/e2e/kubelet.ts';
import { BUSYBOX_IMAGE, FIXTURE_OUT, WASM_TEST_IMAGE } from '../test/fixtures/build.ts';

export const HELLO = 'docker.io/wasmts/hello:bench';

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface MemoryKb {
  pss: number;
  // Pages no other process maps: what the process alone costs. Pages two of ours share (the
  // executable's code in the daemon and a runner) count in neither's.
  private: number;
  // Heap, stacks and other memory not backed by a file: what each further process adds.
  anonymous: number;
}

export function memoryKb(pid: number): MemoryKb {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
  return { pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty'), anonymous: field('Anonymous') };
}

export const pssKb = (pid: number) => memoryKb(pid).pss;

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

// utime + stime of all of a process's threads, in ms; a process that is gone counts 0.
export function cpuMs(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

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

export type PodKind = 'wasm' | 'runc';

const SLEEPERS = {
  wasm: { handler: 'wasmts', image: WASM_TEST_IMAGE, command: ['/app/sleep.wasm', '3600'] },
  runc: { handler: 'runc', image: BUSYBOX_IMAGE, command: ['sleep', '3600'] },
};

// A pod whose one container sleeps: a wasm guest through wasmts, or busybox through runc.
export async function sleepingPod(cri: CriClient, logs: string, kind: PodKind, labels: Record<string, string> = {}): Promise<{ pod: Pod; container: string }> {
  const { handler, image, command } = SLEEPERS[kind];
  const pod = await runPod(cri, logs, { handler });
  try {
    const container = await startContainer(cri, pod, { metadata: { name: 'sleep', attempt: 0 }, image: { image }, command, labels, logPath: 'sleep.log' });
    await waitState(cri, container, CONTAINER_RUNNING);
    return { pod, container };
  } catch (error) {
    await removePod(cri, pod).catch(() => {});
    throw error;
  }
}

// `count` starts, `batch` at a time, as a kubelet brings up a deployment's replicas; a failed start
// is counted and reported, not fatal.
export async function startInBatches<T>(count: number, batch: number, start: () => Promise<T>): Promise<{ started: T[]; failures: string[] }> {
  const started: T[] = [];
  const failures: string[] = [];
  for (let done = 0; done < count; done += batch) {
    const results = await Promise.allSettled(Array.from({ length: Math.min(batch, count - done) }, start));
    for (const result of results) {
      if (result.status === 'fulfilled') started.push(result.value);
      else failures.push((result.reason as Error).message);
    }
  }
  return { started, failures };
}
