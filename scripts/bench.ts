// Start-up and memory, measured side by side in one run on this machine (never a timed test):
// `ctr run --rm` of a hello wasm image through our shim against a busybox echo through containerd's
// own runc shim, interleaved; then the memory of one running wasm container (shim + runc + runner).
import { pidsMatching } from './processes.ts';
import { join } from 'node:path';
import { buildModules, buildTestImages, WASM_TEST_IMAGE } from '../test/fixtures/build.ts';
import { memoryKb, percentile, runcEchoRun, wasmHelloRun, writeHelloArchive } from './bench-common.ts';
import { PrivateContainerd } from './private-containerd.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const root = join(import.meta.dirname, '..');

const modules = await buildModules();
const images = await buildTestImages();
const helloArchive = await writeHelloArchive(modules.hello!);
const containerd = new PrivateContainerd({ shimDir: join(root, 'dist') });
await containerd.start();
try {
  for (const archive of [helloArchive, images.wasm, images.busybox]) await containerd.ctr(['images', 'import', '--all-platforms', archive]);
  const time = async (args: string[]) => {
    const started = performance.now();
    const result = await containerd.ctr(args);
    if (result.code !== 0) throw new Error(`ctr ${args.join(' ')} failed: ${result.stderr}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 2; i++) {
    await time(wasmHelloRun(`warm-w${i}`));
    await time(runcEchoRun(`warm-r${i}`));
  }
  const wasm: number[] = [];
  const runc: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    wasm.push(await time(wasmHelloRun(`bench-w${i}`)));
    runc.push(await time(runcEchoRun(`bench-r${i}`)));
  }
  const line = (name: string, values: number[]) => `${name.padEnd(34)} median ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms`;
  console.log(`ctr run --rm, ${RUNS} runs each, interleaved:`);
  console.log(line('wasm hello (wasmts)', wasm));
  console.log(line('busybox echo (runc shim)', runc));
  console.log(`ratio wasm/runc: median ${(percentile(wasm, 50) / percentile(runc, 50)).toFixed(2)}   p95 ${(percentile(wasm, 95) / percentile(runc, 95)).toFixed(2)}`);

  // One container alone, as the issue defines the figure, then several at once: the executable's
  // code pages are shared, so each further container costs less than the first.
  for (const count of [1, 5]) {
    const ids = Array.from({ length: count }, (_, i) => `bench-memory-${count}-${i}`);
    for (const id of ids) {
      const started = await containerd.ctr(['run', '-d', '--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm', WASM_TEST_IMAGE, id, '/app/sleep.wasm', '60']);
      if (started.code !== 0) throw new Error(started.stderr);
    }
    await new Promise((r) => setTimeout(r, 1500));
    const tasks = (await containerd.ctr(['task', 'ls'])).stdout;
    const runners = ids.map((id) => Number(new RegExp(`^${id}\\s+(\\d+)\\s+RUNNING`, 'm').exec(tasks)?.[1]));
    const shims = pidsMatching((c) => c.includes('containerd-shim-wasmts-v1') && c.includes(containerd.socket));
    const runcs = pidsMatching((c) => c.startsWith('runc ') && ids.some((id) => c.includes(` ${id}`)));
    const sum = (pids: number[]) => pids.map(memoryKb).reduce((a, b) => ({ pss: a.pss + b.pss, private: a.private + b.private, anonymous: a.anonymous + b.anonymous }), { pss: 0, private: 0, anonymous: 0 });
    const parts = { shims: sum(shims), runc: sum(runcs), runners: sum(runners) };
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    const total = sum([...shims, ...runcs, ...runners]);
    console.log(`${count} running wasm container(s), PSS / private / anonymous, MB:`);
    for (const [name, kb] of Object.entries(parts)) console.log(`  ${name.padEnd(8)} ${mb(kb.pss).padStart(6)} ${mb(kb.private).padStart(6)} ${mb(kb.anonymous).padStart(6)}`);
    console.log(`  memory per running wasm container: PSS ${mb(total.pss / count)}, private ${mb(total.private / count)}, anonymous ${mb(total.anonymous / count)}`);
    for (const id of ids) await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    await new Promise((r) => setTimeout(r, 500));
    for (const id of ids) {
      await containerd.ctr(['task', 'delete', id]);
      await containerd.ctr(['container', 'rm', id]);
    }
  }
} finally {
  await containerd.stop();
}
