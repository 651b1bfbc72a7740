// Start-up and memory, measured side by side in one run on this machine (never a timed test):
// `ctr run --rm` of a hello wasm image through our shim against a busybox echo through containerd's
// own runc shim, interleaved; then the PSS of one running wasm container (shim + runc + runner).
import { readFileSync, writeFileSync } from 'node:fs';
import { pidsMatching } from './processes.ts';
import { join } from 'node:path';
import { buildImageArchive, wasmImage } from '../oci/image.ts';
import { BUSYBOX_IMAGE, buildModules, buildTestImages, FIXTURE_OUT, WASM_TEST_IMAGE } from '../test/fixtures/build.ts';
import { PrivateContainerd } from './private-containerd.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const root = join(import.meta.dirname, '..');
const HELLO = 'docker.io/wasmts/hello:bench';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function pssKb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
}


const modules = await buildModules();
const images = await buildTestImages();
const helloArchive = join(FIXTURE_OUT, 'hello-bench.tar');
writeFileSync(helloArchive, await buildImageArchive(wasmImage(HELLO, modules.hello!, '/hello.wasm')));
const containerd = new PrivateContainerd({ shimDir: join(root, 'dist') });
await containerd.start();
try {
  for (const archive of [helloArchive, images.wasm, images.busybox]) await containerd.ctr(['images', 'import', '--all-platforms', archive]);
  const wasmRun = (id: string) => ['run', '--rm', '--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm', HELLO, id, '/hello.wasm'];
  const runcRun = (id: string) => ['run', '--rm', '--runtime', 'io.containerd.runc.v2', BUSYBOX_IMAGE, id, 'echo', 'hello'];
  const time = async (args: string[]) => {
    const started = performance.now();
    const result = await containerd.ctr(args);
    if (result.code !== 0) throw new Error(`ctr ${args.join(' ')} failed: ${result.stderr}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 2; i++) {
    await time(wasmRun(`warm-w${i}`));
    await time(runcRun(`warm-r${i}`));
  }
  const wasm: number[] = [];
  const runc: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    wasm.push(await time(wasmRun(`bench-w${i}`)));
    runc.push(await time(runcRun(`bench-r${i}`)));
  }
  const line = (name: string, values: number[]) => `${name.padEnd(34)} median ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms`;
  console.log(`ctr run --rm, ${RUNS} runs each, interleaved:`);
  console.log(line('wasm hello (wasmts)', wasm));
  console.log(line('busybox echo (runc shim)', runc));
  console.log(`ratio wasm/runc: median ${(percentile(wasm, 50) / percentile(runc, 50)).toFixed(2)}   p95 ${(percentile(wasm, 95) / percentile(runc, 95)).toFixed(2)}`);

  const id = 'bench-memory';
  const started = await containerd.ctr(['run', '-d', '--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm', WASM_TEST_IMAGE, id, '/app/sleep.wasm', '60']);
  if (started.code !== 0) throw new Error(started.stderr);
  await new Promise((r) => setTimeout(r, 1500));
  const task = /\s(\d+)\s+RUNNING/.exec((await containerd.ctr(['task', 'ls'])).stdout);
  const runner = Number(task?.[1]);
  const shim = pidsMatching((c) => c.includes('containerd-shim-wasmts-v1') && c.includes(containerd.socket));
  const runcPids = pidsMatching((c) => c.startsWith('runc ') && c.includes(` ${id}`));
  const parts = [...shim.map((p) => ['shim', p] as const), ...runcPids.map((p) => ['runc run', p] as const), ['runner', runner] as const];
  let total = 0;
  for (const [name, pid] of parts) {
    const kb = pssKb(pid);
    total += kb;
    console.log(`  ${name.padEnd(10)} pid ${String(pid).padEnd(8)} PSS ${(kb / 1024).toFixed(1)} MB`);
  }
  console.log(`memory of one running wasm container (sum of PSS): ${(total / 1024).toFixed(1)} MB`);
  await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
  await new Promise((r) => setTimeout(r, 500));
  await containerd.ctr(['task', 'delete', id]);
  await containerd.ctr(['container', 'rm', id]);
} finally {
  await containerd.stop();
}
