// Components, measured side by side in one run (never a timed test), through ctr on containerd 2.3:
// - cold start to exit of the C hello program as a component against the same program as a preview1
//   module, both through wasmts; a component's run with its transpile cached and not;
// - a wasi:http hello server (the C component, each isolation mode, and the JavaScript one) against
//   Node 24's plain http server in the same network namespace: requests/s with 16 connections for
//   10 s, p50/p99 latency, Start to the first response, and the PSS of the running container.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HTTP_COMPONENTS, WASM_TEST_IMAGE, buildTestImages } from '../test/fixtures/build.ts';
import { PrivateContainerd } from './private-containerd.ts';
import { containerdVersion } from './containerd-versions.ts';
import { percentile, pssKb } from './bench-common.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const SECONDS = process.env.BENCH_HTTP_SECONDS ?? '10';
const root = join(import.meta.dirname, '..');
const node = process.execPath;

const images = await buildTestImages();
const containerd = new PrivateContainerd({ shimDir: join(root, 'dist'), network: true, version: containerdVersion(process.env.BENCH_CONTAINERD ?? '2.3') });
await containerd.start();
let counter = 0;
try {
  await containerd.ctr(['images', 'import', '--all-platforms', images.wasm]);
  const WASM = ['--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm'];
  const time = async (args: string[]) => {
    const started = performance.now();
    const result = await containerd.ctr(['run', '--rm', ...WASM, ...args]);
    if (result.code !== 0) throw new Error(`ctr run ${args.join(' ')} failed: ${result.stderr}`);
    return performance.now() - started;
  };
  const run = (program: string) => time([WASM_TEST_IMAGE, `b${counter++}`, program]);
  await run('/app/hello.wasm');
  await run('/app/hello.component.wasm');
  const module: number[] = [];
  const component: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    module.push(await run('/app/hello.wasm'));
    component.push(await run('/app/hello.component.wasm'));
  }
  const line = (name: string, values: number[]) => `${name.padEnd(40)} median ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms`;
  console.log(`ctr run --rm to exit, ${RUNS} runs each, interleaved (containerd ${containerd.version.name}):`);
  console.log(line('C hello, preview1 module', module));
  console.log(line('C hello, component (transpile cached)', component));
  console.log(`ratio component/module: median ${(percentile(component, 50) / percentile(module, 50)).toFixed(2)}   p95 ${(percentile(component, 95) / percentile(module, 95)).toFixed(2)}`);
  const uncached: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    rmSync(containerd.componentCache, { recursive: true, force: true });
    uncached.push(await run('/app/hello.component.wasm'));
  }
  const transpiles = [...readFileSync(containerd.logPath, 'utf8').matchAll(/msg="component transpiled".* component=\/app\/hello\.component\.wasm .*ms=(\d+)/g)].map((m) => Number(m[1]));
  console.log(line('C hello, component, cache emptied first', uncached));
  console.log(`  transpile in the shim's log: median ${percentile(transpiles, 50)} ms of ${transpiles.length}`);

  const firstResponse = async (url: string, started: number) => {
    for (;;) {
      const probe = await containerd.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url]);
      if (probe.stdout === '200') return performance.now() - started;
    }
  };
  const load = async (url: string) => {
    const result = await containerd.exec(node, ['--no-warnings', join(root, 'scripts/http-load.ts'), url, '16', SECONDS], { timeoutMs: 120_000 });
    if (result.code !== 0) throw new Error(`load failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as { requests: number; errors: number; perSecond: number; p50: number; p99: number };
  };
  const report = (name: string, r: Awaited<ReturnType<typeof load>>, start: number, pss?: number) =>
    console.log(`${name.padEnd(36)} ${r.perSecond.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   errors ${r.errors}   start to first response ${start.toFixed(0)} ms${pss ? `   PSS ${(pss / 1024).toFixed(1)} MB` : ''}`);

  console.log(`\nHTTP hello, 16 connections for ${SECONDS} s each, one after another, in one network namespace:`);
  const plainStarted = performance.now();
  const plain = containerd.spawnInside(node, ['--no-warnings', join(root, 'scripts/plain-http-server.ts'), '127.0.0.1', '8090']);
  const plainStart = await firstResponse('http://127.0.0.1:8090/', plainStarted);
  const baseline = await load('http://127.0.0.1:8090/');
  report('plain Node 24 http.createServer', baseline, plainStart, pssKb(plain.pid!));
  plain.kill('SIGKILL');
  let port = 8100;
  for (const [name, component, mode] of [['C component, fresh instance per request', HTTP_COMPONENTS.c, 'per-request'], ['C component, one instance reused', HTTP_COMPONENTS.c, 'reuse'], ['JS component, fresh instance per request', HTTP_COMPONENTS.js, 'per-request']] as const) {
    const id = `http-${counter++}`;
    const address = `127.0.0.1:${port++}`;
    const started = performance.now();
    const created = await containerd.ctr(['run', '-d', '--net-host', ...WASM, '--env', `WASMTS_HTTP_ADDR=${address}`, '--env', `WASMTS_HTTP_INSTANCE=${mode}`, WASM_TEST_IMAGE, id, `/app/${component}`]);
    if (created.code !== 0) throw new Error(`ctr run ${component} failed: ${created.stderr}`);
    const start = await firstResponse(`http://${address}/`, started);
    const result = await load(`http://${address}/`);
    const pid = Number(new RegExp(`^${id}\\s+(\\d+)`, 'm').exec((await containerd.ctr(['task', 'ls'])).stdout)?.[1]);
    report(name, result, start, pssKb(pid));
    console.log(`  ratio to plain Node: ${(result.perSecond / baseline.perSecond).toFixed(2)}`);
    await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    await containerd.ctr(['task', 'delete', id]).then(async (r) => (r.code === 0 ? r : containerd.ctr(['task', 'delete', '-f', id])));
    await containerd.ctr(['container', 'delete', id]);
  }
} finally {
  await containerd.stop();
}
