// Pods through containerd's CRI plugin, side by side in one run, for each containerd of
// BENCH_CONTAINERD (default 1.6 and 2.3): time from RunPodSandbox to the container's exit for a hello
// wasm pod (wasmts) and a busybox echo pod (runc); on containerd 2.x, the first and the second start
// of a wasm OCI artifact pod (its layer read from the content store, then from the cache). On the
// last version: memory per running wasm pod, 50 wasm pods started 10 at a time, and the memory of 50
// runc busybox pods beside it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CriClient } from '../test/cri/client.ts';
import { removePodCgroups, startCriNode } from '../test/e2e/cri-node.ts';
import { CONTAINER_EXITED, removePod, runPod, startContainer, waitState } from '../test/e2e/kubelet.ts';
import { BUSYBOX_IMAGE, FIXTURE_OUT, WASM_TEST_IMAGE } from '../test/fixtures/build.ts';
import { buildArtifactArchive } from '../oci/image.ts';
import { containerdVersion } from './containerd-versions.ts';
import { pidsMatching } from './processes.ts';
import { ImageService } from '../test/cri/client.ts';
import { percentile, pssKb, sleepingPod, startInBatches, type PodKind } from './bench-common.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const VERSIONS = (process.env.BENCH_CONTAINERD || '1.6,2.3').split(',');
const root = mkdtempSync('/tmp/wasmts-bench-pods-');
let logs = join(root, 'logs');

async function podToExit(cri: CriClient, handler: string, image: string, command: string[]): Promise<number> {
  const started = performance.now();
  const pod = await runPod(cri, logs, { handler });
  try {
    const id = await startContainer(cri, pod, { metadata: { name: 'c', attempt: 0 }, image: { image }, command, logPath: 'c.log' });
    const exited = await waitState(cri, id, CONTAINER_EXITED, 60_000);
    const elapsed = performance.now() - started;
    if (exited.exitCode !== 0) throw new Error(`${handler} pod exited ${exited.exitCode}`);
    return elapsed;
  } finally {
    await removePod(cri, pod);
  }
}

async function benchVersion(name: string, density: boolean): Promise<void> {
  const work = join(root, name);
  mkdirSync(work);
  logs = join(work, 'logs');
  const version = containerdVersion(name);
  const { containerd, cri, registry } = await startCriNode(work, version);
  try {
    console.log(`\n== containerd ${name} ==`);
    const line = (name: string, values: number[]) => `${name.padEnd(30)} median ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms`;
    const wasmPod = () => podToExit(cri, 'wasmts', WASM_TEST_IMAGE, ['/app/hello.wasm']);
    const runcPod = () => podToExit(cri, 'runc', BUSYBOX_IMAGE, ['echo', 'hello']);
    await wasmPod();
    await runcPod();
    const wasm: number[] = [];
    const runc: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      wasm.push(await wasmPod());
      runc.push(await runcPod());
    }
    console.log(`RunPodSandbox to container exit, ${RUNS} pods each, interleaved:`);
    console.log(line('wasm hello pod (wasmts)', wasm));
    console.log(line('busybox echo pod (runc)', runc));
    console.log(`ratio wasm/runc: median ${(percentile(wasm, 50) / percentile(runc, 50)).toFixed(2)}   p95 ${(percentile(wasm, 95) / percentile(runc, 95)).toFixed(2)}`);

    if (version.major >= 2) {
      // A module of its own each run: the node-wide layer cache has never seen it.
      const hello = readFileSync(join(FIXTURE_OUT, 'hello.wasm'));
      const tag = new TextEncoder().encode(`bench-${process.pid}-${Date.now()}`);
      const wasmBytes = Uint8Array.from([...hello, 0, tag.length + 1, tag.length, ...tag]);
      const archive = join(work, 'artifact.tar');
      writeFileSync(archive, await buildArtifactArchive({ name: 'wasmts/bench-artifact:v1', wasm: wasmBytes, os: 'wasip1' }));
      const reference = await registry.push(archive, 'wasmts/bench-artifact:v1');
      await cri.call(ImageService.method.pullImage, { image: { image: reference } });
      const first = await podToExit(cri, 'wasmts', reference, ['hello.wasm']);
      const second = await podToExit(cri, 'wasmts', reference, ['hello.wasm']);
      const plain = await podToExit(cri, 'wasmts', WASM_TEST_IMAGE, ['/app/hello.wasm']);
      console.log(`wasm OCI artifact pod, RunPodSandbox to exit: first ${first.toFixed(0)} ms (layer read from containerd), second ${second.toFixed(0)} ms (cached); a rootfs wasm pod in the same run ${plain.toFixed(0)} ms`);
    }
    if (!density) return;

    // Everything the pods add: the shims, any runc that stays, and the tasks (pause and the container).
    const memory = async (kind: PodKind, count: number) => {
      const shimBinary = kind === 'wasm' ? 'containerd-shim-wasmts-v1' : 'containerd-shim-runc-v2';
      const shims = pidsMatching((c) => c.includes(shimBinary) && c.includes(containerd.socket));
      const runcs = pidsMatching((c) => c.startsWith('runc ') && c.includes('/run/containerd/wasmts/k8s.io'));
      const tasks = (await containerd.ctr(['-n', 'k8s.io', 'task', 'ls'])).stdout;
      const taskPids = [...tasks.matchAll(/^\S+\s+(\d+)\s+RUNNING/gm)].map((m) => Number(m[1]));
      const sum = (pids: number[]) => pids.reduce((total, pid) => total + pssKb(pid), 0);
      const kb = sum([...shims, ...runcs, ...taskPids]);
      const each = (pids: number[]) => `${(sum(pids) / 1024 / count).toFixed(2)}`;
      console.log(`  ${count} running ${kind} pod(s): ${shims.length} shims, ${runcs.length} runc, ${taskPids.length} pause+container; memory per pod (sum of PSS / pods): ${(kb / 1024 / count).toFixed(1)} MB (shims ${each(shims)}, runc ${each(runcs)}, pause and containers ${each(taskPids)})`);
      return kb / 1024 / count;
    };
    const one = await sleepingPod(cri, logs, 'wasm');
    console.log('memory of running wasm pods (shim + runc + pause + runner):');
    await memory('wasm', 1);
    await removePod(cri, one.pod);

    const started = performance.now();
    const { started: running, failures } = await startInBatches(50, 10, () => sleepingPod(cri, logs, 'wasm'));
    const seconds = (performance.now() - started) / 1000;
    for (const failure of failures) console.log(`  failure: ${failure}`);
    const pods = running.map((r) => r.pod);
    console.log(`50 wasm pods started 10 at a time (sandbox + container running): ${seconds.toFixed(1)} s, ${(50 / seconds).toFixed(1)} pods/s, ${failures.length} failures`);
    const wasmPerPod = await memory('wasm', pods.length);
    for (let i = 0; i < pods.length; i += 10) await Promise.all(pods.slice(i, i + 10).map((pod) => removePod(cri, pod)));
    const runcPods = await startInBatches(50, 10, () => sleepingPod(cri, logs, 'runc'));
    for (const failure of runcPods.failures) console.log(`  failure: ${failure}`);
    const runcPerPod = await memory('runc', runcPods.started.length);
    console.log(`memory per pod wasm/runc: ${(wasmPerPod / runcPerPod).toFixed(2)}`);
    for (let i = 0; i < runcPods.started.length; i += 10) await Promise.all(runcPods.started.slice(i, i + 10).map((r) => removePod(cri, r.pod)));
  } finally {
    cri.close();
    await registry.stop();
    await containerd.stop();
    removePodCgroups();
  }
}

try {
  for (const [i, name] of VERSIONS.entries()) await benchVersion(name, i === VERSIONS.length - 1);
} finally {
  rmSync(root, { recursive: true, force: true });
}
