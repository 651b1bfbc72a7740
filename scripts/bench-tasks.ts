// Short tasks at a steady concurrency, side by side in one run (never a timed test): `ctr run --rm`
// of the hello wasm image through wasmts against a busybox echo through containerd's own runc shim,
// BENCH_TASKS of each, BENCH_CONCURRENCY at a time, in interleaved blocks of BENCH_BLOCK, so that a
// slow minute of this shared machine falls on both sides. Each side's rate is its tasks over the
// summed wall time of its own blocks.
import { join } from 'node:path';
import { buildModules, buildTestImages } from '../test/fixtures/build.ts';
import { machineBusyMs, percentile, runcEchoRun, wasmHelloRun, writeHelloArchive } from './bench-common.ts';
import { containerdVersion } from './containerd-versions.ts';
import { PrivateContainerd } from './private-containerd.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const BLOCK = Number(process.env.BENCH_BLOCK ?? 20);
const root = join(import.meta.dirname, '..');

interface Side {
  name: string;
  run: (id: string) => string[];
  seconds: number;
  busyMs: number;
  latencies: number[];
  failures: string[];
}

const modules = await buildModules();
const images = await buildTestImages();
const helloArchive = await writeHelloArchive(modules.hello!);
const containerd = new PrivateContainerd({ shimDir: join(root, 'dist'), version: containerdVersion(process.env.BENCH_CONTAINERD ?? '2.3') });
await containerd.start();
try {
  for (const archive of [helloArchive, images.busybox]) {
    const imported = await containerd.ctr(['images', 'import', '--all-platforms', archive]);
    if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  }
  let counter = 0;
  // `count` tasks, CONCURRENCY workers each taking the next as its last one ends.
  const block = async (side: Side, count: number) => {
    let left = count;
    const started = performance.now();
    const busy = machineBusyMs();
    const worker = async () => {
      while (left > 0) {
        left--;
        const id = `${side.name}-${counter++}`;
        const taskStarted = performance.now();
        const result = await containerd.ctr(side.run(id));
        if (result.code === 0) side.latencies.push(performance.now() - taskStarted);
        else side.failures.push(`${id}: ${result.stderr.trim().split('\n').at(-1)}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
    side.seconds += (performance.now() - started) / 1000;
    side.busyMs += machineBusyMs() - busy;
  };
  const wasm: Side = { name: 'wasm', run: wasmHelloRun, seconds: 0, busyMs: 0, latencies: [], failures: [] };
  const runc: Side = { name: 'runc', run: runcEchoRun, seconds: 0, busyMs: 0, latencies: [], failures: [] };
  // A block each first, not counted: the first tasks bring the binaries and images into memory.
  for (const side of [wasm, runc]) {
    await block(side, CONCURRENCY);
    Object.assign(side, { seconds: 0, busyMs: 0, latencies: [], failures: [] });
  }
  for (let done = 0; done < TASKS; done += BLOCK) {
    const count = Math.min(BLOCK, TASKS - done);
    // Which side goes first alternates: neither always follows the other's leftovers.
    const order = (done / BLOCK) % 2 === 0 ? [wasm, runc] : [runc, wasm];
    for (const side of order) await block(side, count);
  }
  const rate = (side: Side) => side.latencies.length / side.seconds;
  const line = (name: string, side: Side) =>
    `${name.padEnd(34)} ${rate(side).toFixed(1).padStart(6)} tasks/s   one task median ${percentile(side.latencies, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(side.latencies, 95).toFixed(0).padStart(5)} ms   CPU per task (whole machine) ${(side.busyMs / side.latencies.length).toFixed(0).padStart(4)} ms   failures ${side.failures.length}`;
  console.log(`ctr run --rm, ${TASKS} tasks each, ${CONCURRENCY} at a time, interleaved in blocks of ${BLOCK} (containerd ${containerd.version.name}):`);
  console.log(line('wasm hello (wasmts)', wasm));
  console.log(line('busybox echo (runc shim)', runc));
  console.log(`ratio wasm/runc: ${(rate(wasm) / rate(runc)).toFixed(2)}x tasks/s   target >= 1.0x`);
  for (const failure of [...wasm.failures, ...runc.failures].slice(0, 5)) console.log(`  failure: ${failure}`);
} finally {
  await containerd.stop();
}
