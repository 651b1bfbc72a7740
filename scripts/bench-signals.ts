// SIGTERM to exit of a spinning container, side by side in one run (never a timed test): a wasm guest
// that loops without calling the host (spin.wasm) through wasmts, against busybox sh spinning in a
// shell loop through containerd's own runc shim, interleaved. The exit is the /tasks/exit event as
// containerd publishes it, read from one `ctr events` started before the first kill: an event, so no
// polling interval is in the figure. The clock starts as `ctr task kill -s SIGTERM` is spawned, so
// both sides carry ctr's own start-up; `ctr version` is timed beside them to show how much that is.
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, buildTestImages, WASM_TEST_IMAGE } from '../test/fixtures/build.ts';
import { percentile } from './bench-common.ts';
import { containerdVersion } from './containerd-versions.ts';
import { PrivateContainerd } from './private-containerd.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
// Long enough for the runner to be in the guest's loop and for sh to have set its trap.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 500);
const EXIT_TIMEOUT_MS = 10_000;
const root = join(import.meta.dirname, '..');

// busybox sh as PID 1 ignores SIGTERM without a trap; 143 is what the wasm side reports too.
const SPIN = ['sh', '-c', "trap 'exit 143' TERM; while :; do :; done"];

interface Timing {
  toExit: number;
  killReturned: number;
}

const images = await buildTestImages();
const containerd = new PrivateContainerd({ shimDir: join(root, 'dist'), version: containerdVersion(process.env.BENCH_CONTAINERD ?? '2.3') });
await containerd.start();
const events = containerd.spawnCtr(['events']);
try {
  for (const archive of [images.wasm, images.busybox]) {
    const imported = await containerd.ctr(['images', 'import', '--all-platforms', archive]);
    if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  }
  const exits = new Map<string, (exit: { at: number; status: number }) => void>();
  createInterface({ input: events.stdout! }).on('line', (line) => {
    const at = performance.now();
    const json = / \/tasks\/exit (\{.*\})$/.exec(line)?.[1];
    if (!json) return;
    const exit = JSON.parse(json) as { container_id: string; id: string; exit_status?: number };
    if (exit.id !== exit.container_id) return;
    exits.get(exit.id)?.({ at, status: exit.exit_status ?? 0 });
  });
  const ctr = async (args: string[]) => {
    const result = await containerd.ctr(args);
    if (result.code !== 0) throw new Error(`ctr ${args.join(' ')} failed: ${result.stderr}`);
  };
  const spinToExit = async (id: string, run: (id: string) => string[]): Promise<Timing> => {
    await ctr(run(id));
    await containerd.waitRunning(id);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const exited = new Promise<{ at: number; status: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id}: no /tasks/exit ${EXIT_TIMEOUT_MS} ms after SIGTERM`)), EXIT_TIMEOUT_MS);
      exits.set(id, (exit) => (clearTimeout(timer), resolve(exit)));
    });
    const started = performance.now();
    await ctr(['task', 'kill', '-s', 'SIGTERM', id]);
    const killReturned = performance.now() - started;
    const exit = await exited;
    exits.delete(id);
    if (exit.status !== 143) throw new Error(`${id} exited ${exit.status} on SIGTERM, not 143`);
    await ctr(['task', 'delete', id]);
    await ctr(['container', 'rm', id]);
    return { toExit: exit.at - started, killReturned };
  };
  const wasmRun = (id: string) => ['run', '-d', '--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm', WASM_TEST_IMAGE, id, '/app/spin.wasm'];
  const runcRun = (id: string) => ['run', '-d', '--runtime', 'io.containerd.runc.v2', BUSYBOX_IMAGE, id, ...SPIN];
  await spinToExit('sig-w-warm', wasmRun);
  await spinToExit('sig-r-warm', runcRun);
  const wasm: Timing[] = [];
  const runc: Timing[] = [];
  const ctrStart: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    wasm.push(await spinToExit(`sig-w${i}`, wasmRun));
    runc.push(await spinToExit(`sig-r${i}`, runcRun));
    const started = performance.now();
    await ctr(['version']);
    ctrStart.push(performance.now() - started);
  }
  const toExit = (runs: Timing[]) => runs.map((r) => r.toExit);
  const line = (name: string, values: number[], target = '') =>
    `${name.padEnd(34)} median ${percentile(values, 50).toFixed(0).padStart(5)} ms   p90 ${percentile(values, 90).toFixed(0).padStart(5)} ms${target}`;
  console.log(`SIGTERM to exit of a spinning container, ${RUNS} runs each, interleaved (containerd ${containerd.version.name}; exit = /tasks/exit from ctr events):`);
  console.log(line('wasm spin.wasm (wasmts)', toExit(wasm), '   target < 100 ms'));
  console.log(line('busybox sh loop (runc shim)', toExit(runc)));
  const [w, r] = [toExit(wasm), toExit(runc)];
  console.log(`ratio wasm/runc: median ${(percentile(w, 50) / percentile(r, 50)).toFixed(2)}   p90 ${(percentile(w, 90) / percentile(r, 90)).toFixed(2)}`);
  const killed = (runs: Timing[]) => percentile(runs.map((r) => r.killReturned), 50).toFixed(0);
  console.log(`  ctr task kill returned after: wasm median ${killed(wasm)} ms, runc median ${killed(runc)} ms; ctr version alone: median ${percentile(ctrStart, 50).toFixed(0)} ms (ctr's start-up is in every figure)`);
} finally {
  events.kill();
  await containerd.stop();
}
