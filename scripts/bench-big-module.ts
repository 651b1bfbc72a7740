// The daemon's memory while a wasm container with a large module runs, against one with a small
// module, in one run: the Create check of a module over 4 MiB compiles it in a short-lived process,
// so the daemon (in containerd's cgroup, outside the pod's limits) should not grow with the module.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImageArchive, wasmImage } from '../oci/image.ts';
import { buildModules, FIXTURE_OUT } from '../test/fixtures/build.ts';
import { PrivateContainerd } from './private-containerd.ts';
import { pidsMatching } from './processes.ts';

const root = join(import.meta.dirname, '..');
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 200);

// sleep.wasm with a custom section of `size` bytes: still the same program.
function padded(module: Uint8Array, size: number): Uint8Array {
  const name = new TextEncoder().encode('pad');
  const leb: number[] = [];
  for (let v = name.length + 1 + size; ; v >>>= 7) {
    if (v < 0x80) {
      leb.push(v);
      break;
    }
    leb.push((v & 0x7f) | 0x80);
  }
  return Buffer.concat([module, Buffer.from([0, ...leb, name.length, ...name]), Buffer.alloc(size)]);
}

const rssMb = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const modules = await buildModules();
const containerd = new PrivateContainerd({ shimDir: join(root, 'dist') });
await containerd.start();
try {
  for (const [label, size] of [['small (sleep.wasm)', 0], [`${BIG_MB} MB`, BIG_MB << 20]] as const) {
    const image = `docker.io/wasmts/bench-big:${size}`;
    const archive = join(FIXTURE_OUT, 'bench-big.tar');
    writeFileSync(archive, await buildImageArchive(wasmImage(image, padded(modules.sleep!, size), '/big.wasm')));
    await containerd.ctr(['images', 'import', archive]);
    const id = `big-${size}`;
    const run = containerd.spawnCtr(['run', '--runtime', 'io.containerd.wasmts.v1', image, id, '/big.wasm', '600']);
    for (;;) {
      if (new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm').test((await containerd.ctr(['task', 'ls'])).stdout)) break;
      if (run.exitCode !== null) throw new Error(`${id} did not run`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const daemon = pidsMatching((cmdline) => cmdline.includes('containerd-shim-wasmts-v1') && cmdline.includes(' serve') && cmdline.includes(` -id ${id} `));
    console.log(`daemon RSS with a ${label} module running: ${daemon.map((pid) => rssMb(pid).toFixed(1)).join(', ')} MB`);
    await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    await new Promise((resolve) => run.on('exit', resolve));
    await containerd.ctr(['task', 'delete', id]);
    await containerd.ctr(['container', 'rm', id]);
  }
} finally {
  await containerd.stop();
}
