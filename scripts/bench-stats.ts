// What Stats costs the shims, side by side in one run (never a timed test): BENCH_PODS sleeping wasm
// pods (wasmts) and as many busybox pods (containerd's runc shim) on one CRI node of BENCH_CONTAINERD
// (default 2.3), all running at once. containerd 2.3's CRI asks every container's shim for Stats
// each second by itself (its stats collector); a kubelet adds ListContainerStats. Two windows of
// BENCH_STATS_SECONDS each: the node left alone, then ListContainerStats once a second for each
// kind (selected by a container label, the kinds' order alternating). CPU is utime+stime of the shim
// daemons from /proc/<pid>/stat; how many Stats calls reach a shim is counted with strace on one
// daemon of each kind, in windows of their own so that strace's cost stays out of the CPU figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeService, type CriClient } from '../test/cri/client.ts';
import { startCriNode, stopCriNode } from '../test/e2e/cri-node.ts';
import { removePod, type Pod } from '../test/e2e/kubelet.ts';
import { cpuMs, percentile, sleepingPod, startInBatches, type PodKind } from './bench-common.ts';
import { containerdVersion } from './containerd-versions.ts';
import { pidsMatching } from './processes.ts';

const PODS = Number(process.env.BENCH_PODS ?? 50);
const SECONDS = Number(process.env.BENCH_STATS_SECONDS ?? 30);
const STRACE_SECONDS = Number(process.env.BENCH_STRACE_SECONDS ?? 10);
const LABEL = 'wasmts-bench';
const KINDS: PodKind[] = ['wasm', 'runc'];
type Window = 'alone' | 'kubelet';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One ListContainerStats of one kind's containers: how long it took and how many it listed.
async function listStats(cri: CriClient, kind: PodKind): Promise<{ ms: number; listed: number }> {
  const started = performance.now();
  const { stats } = await cri.call(RuntimeService.method.listContainerStats, { filter: { labelSelector: { [LABEL]: kind } } });
  return { ms: performance.now() - started, listed: stats.length };
}

// Once a second for `seconds`, each kind in turn, the kind going first alternating.
async function kubeletLoop(cri: CriClient, seconds: number, latencies?: Record<PodKind, number[]>): Promise<Record<PodKind, number>> {
  const listed: Record<PodKind, number> = { wasm: 0, runc: 0 };
  const started = performance.now();
  for (let second = 0; second < seconds; second++) {
    for (const kind of second % 2 === 0 ? KINDS : [...KINDS].reverse()) {
      const result = await listStats(cri, kind);
      latencies?.[kind].push(result.ms);
      listed[kind] += result.listed;
    }
    // A second whose calls took longer than a second starts the next at once.
    await sleep(Math.max(0, started + (second + 1) * 1000 - performance.now()));
  }
  return listed;
}

// Stats calls that reach one daemon in `seconds`: each reads its container's memory.stat once.
async function statsCalls(pid: number, seconds: number): Promise<number> {
  const out = join(work, `strace-${pid}`);
  const strace = spawn('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', out, '-p', String(pid)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => strace.once('exit', resolve));
  await sleep(seconds * 1000);
  strace.kill('SIGINT');
  await exited;
  return readFileSync(out, 'utf8').split('\n').filter((line) => line.includes('memory.stat"')).length;
}

const work = mkdtempSync('/tmp/wasmts-bench-stats-');
const node = await startCriNode(work, containerdVersion(process.env.BENCH_CONTAINERD ?? '2.3'));
const { containerd, cri } = node;
const pods: Pod[] = [];
try {
  const logs = join(work, 'logs');
  for (const kind of KINDS) {
    const { started, failures } = await startInBatches(PODS, 10, () => sleepingPod(cri, logs, kind, { [LABEL]: kind }));
    pods.push(...started.map((s) => s.pod));
    if (failures.length > 0) throw new Error(`${failures.length} ${kind} pods failed to start: ${failures[0]}`);
  }
  const daemons: Record<PodKind, number[]> = {
    wasm: pidsMatching((c) => c.includes('containerd-shim-wasmts-v1') && c.includes(containerd.socket) && c.endsWith(' serve ')),
    runc: pidsMatching((c) => c.includes('containerd-shim-runc-v2') && c.includes(containerd.socket)),
  };
  const cpu = (kind: PodKind) => daemons[kind].reduce((sum, pid) => sum + cpuMs(pid), 0);
  // The pods' start-up work (and its garbage) is over before anything is counted.
  await sleep(5_000);

  const calls = { alone: { wasm: 0, runc: 0 }, kubelet: { wasm: 0, runc: 0 } };
  for (const [window, withKubelet] of [['alone', false], ['kubelet', true]] as const) {
    const counted = Promise.all(KINDS.map((kind) => statsCalls(daemons[kind][0]!, STRACE_SECONDS)));
    if (withKubelet) await kubeletLoop(cri, STRACE_SECONDS);
    const [wasm, runc] = await counted;
    calls[window] = { wasm: wasm! / STRACE_SECONDS, runc: runc! / STRACE_SECONDS };
  }

  const spent = { alone: { wasm: 0, runc: 0 }, kubelet: { wasm: 0, runc: 0 } };
  const latencies: Record<PodKind, number[]> = { wasm: [], runc: [] };
  let listed: Record<PodKind, number> = { wasm: 0, runc: 0 };
  for (const window of ['alone', 'kubelet'] as const) {
    const before = { wasm: cpu('wasm'), runc: cpu('runc') };
    if (window === 'kubelet') listed = await kubeletLoop(cri, SECONDS, latencies);
    else await sleep(SECONDS * 1000);
    spent[window] = { wasm: cpu('wasm') - before.wasm, runc: cpu('runc') - before.runc };
  }

  console.log(`Stats with ${PODS} sleeping pods of each kind running at once (containerd ${containerd.version.name}), ${SECONDS} s per window; CPU = utime+stime of the shim daemons (${daemons.wasm.length} wasmts, ${daemons.runc.length} runc):`);
  const names: Record<PodKind, string> = { wasm: 'wasm pods (wasmts daemons)', runc: 'busybox pods (runc shims)' };
  for (const kind of KINDS) {
    console.log(`  Stats calls reaching one ${kind} shim (strace, ${STRACE_SECONDS} s): ${calls.alone[kind].toFixed(1)}/s left alone, ${calls.kubelet[kind].toFixed(1)}/s with ListContainerStats once a second`);
  }
  const perCall = (kind: PodKind, window: Window) => {
    // Counted on one daemon: wasmts has one for the node, runc's shim one per pod.
    const total = calls[window][kind] * daemons[kind].length * SECONDS;
    return total > 0 ? spent[window][kind] / total : NaN;
  };
  const line = (name: string, kind: PodKind, window: Window) =>
    `${name.padEnd(34)} ${(spent[window][kind] / SECONDS).toFixed(1).padStart(6)} ms CPU per s of wall   ${perCall(kind, window).toFixed(2).padStart(6)} ms CPU per Stats call`;
  for (const window of ['alone', 'kubelet'] satisfies Window[]) {
    console.log(window === 'alone' ? 'node left alone (containerd\'s own stats collector only):' : 'with ListContainerStats once a second per kind (a kubelet):');
    for (const kind of KINDS) console.log(line(names[kind], kind, window));
    console.log(`ratio wasm/runc: CPU per s ${(spent[window].wasm / spent[window].runc).toFixed(2)}   per Stats call ${(perCall('wasm', window) / perCall('runc', window)).toFixed(2)}`);
  }
  // What the kubelet's calls added, over the calls it made: the same figure without the idle part.
  const added = (kind: PodKind) => (spent.kubelet[kind] - spent.alone[kind]) / listed[kind];
  console.log(`  CPU added per container listed by ListContainerStats: wasm ${added('wasm').toFixed(2)} ms, runc ${added('runc').toFixed(2)} ms, ratio ${(added('wasm') / added('runc')).toFixed(2)}`);
  const latency = (name: string, values: number[]) => `${name.padEnd(34)} p50 ${percentile(values, 50).toFixed(1).padStart(6)} ms   p90 ${percentile(values, 90).toFixed(1).padStart(6)} ms`;
  console.log(`one ListContainerStats of ${PODS} containers, ${SECONDS} calls each:`);
  console.log(latency(names.wasm, latencies.wasm));
  console.log(latency(names.runc, latencies.runc));
  console.log(`ratio wasm/runc: p50 ${(percentile(latencies.wasm, 50) / percentile(latencies.runc, 50)).toFixed(2)}   p90 ${(percentile(latencies.wasm, 90) / percentile(latencies.runc, 90)).toFixed(2)}`);
} finally {
  for (let i = 0; i < pods.length; i += 10) await Promise.all(pods.slice(i, i + 10).map((pod) => removePod(cri, pod).catch(() => {})));
  await stopCriNode(node, work);
}
