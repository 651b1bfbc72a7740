// WASI 0.2 components (C programs wrapped with jco's preview1 command adapter) run as containers
// through ctr on each containerd: transpiled once at Create into the node-wide cache, run on the
// runner's synchronous host, with exact exit codes, stdio, cwd, signals and Create-time errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../before.ts';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { HTTP_COMPONENTS, WASM_TEST_IMAGE, buildTestImages } from '../fixtures/build.ts';
import { until } from './poll.ts';

const root = join(import.meta.dirname, '../..');
const WASM = ['--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm'];
// A network namespace of its own: the wasi:http server below listens on its loopback.
const containerd = new PrivateContainerd({ shimDir: join(root, 'dist'), network: true });
const HTTP_LOAD = join(root, 'scripts/http-load.ts');
let counter = 0;
const newId = (name: string) => `${name}-${process.pid}-${counter++}`;

before(test, async () => {
  const images = await buildTestImages();
  await containerd.start();
  const result = await containerd.ctr(['images', 'import', '--all-platforms', images.wasm]);
  if (result.code !== 0) throw new Error(`import failed: ${result.stderr}`);
});

test.after(async () => {
  await containerd.stop();
});

const run = (args: string[], options: { env?: string[]; input?: string; extra?: string[] } = {}) =>
  containerd.ctr(['run', '--rm', ...WASM, ...(options.extra ?? []), ...(options.env ?? []).flatMap((e) => ['--env', e]), WASM_TEST_IMAGE, newId('c'), ...args], { input: options.input });

const shimLog = () => readFileSync(containerd.logPath, 'utf8');
const transpiles = (component: string) => [...shimLog().matchAll(/msg="component transpiled".* component=(\S+)/g)].filter((m) => m[1] === component).length;
const entries = () => readdirSync(containerd.componentCache).filter((name) => /^[0-9a-f]{64}-jco/.test(name) && !/\.(lock|tmp)$/.test(name));

test('a component command gets the spec\'s args and env exactly; exit codes 0, 3 and 255 are exact', async () => {
  for (const code of [0, 3, 255]) {
    const result = await run(['/app/hello.component.wasm', 'two words', ''], { env: [`EXIT_CODE=${code}`] });
    assert.is(result.code, code, result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines.filter((l) => l.startsWith('arg[')), ['arg[0]=/app/hello.component.wasm', 'arg[1]=two words', 'arg[2]=']);
    assert.equal(lines.filter((l) => l.startsWith('env ')).sort(), [`env EXIT_CODE=${code}`, 'env PATH=/app']);
    assert.match(result.stderr, 'hello on stderr');
  }
  // Three containers of one component: one transpile, one cache entry.
  assert.is(transpiles('/app/hello.component.wasm'), 1);
});

test('a JavaScript command (componentize-js) runs with its args and env', async () => {
  const result = await run(['/app/js-command.component.wasm', 'a b'], { env: ['GREETING=hi'] });
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, 'hello from a JS command\nargs ["/app/js-command.component.wasm","a b"]\nGREETING=hi\n');
});

test('stdin reaches the component; 10,000 lines come out, none lost; stdio is no terminal', async () => {
  const input = 'line one\nline two\n'.repeat(5000);
  const cat = await run(['/app/cat.component.wasm'], { input });
  assert.is(cat.code, 0, cat.stderr);
  assert.is(cat.stdout, input);
  const lines = await run(['/app/lines.component.wasm', '10000']);
  assert.is(lines.code, 0, lines.stderr);
  const out = lines.stdout.split('\n').filter(Boolean);
  assert.is(out.length, 10000);
  assert.is(out.at(-1), 'line 9999');
  assert.is((await run(['/app/tty.component.wasm'])).stdout, 'isatty 0 0 0\n');
});

test('a relative path is read from the spec\'s cwd', async () => {
  const result = await run(['/app/cat.component.wasm', 'notes.txt'], { extra: ['--cwd', '/app'] });
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, 'not a program\n');
});

test('a trap exits 134 with the trap on stderr', async () => {
  const result = await run(['/app/crash.component.wasm']);
  assert.is(result.code, 134, result.stderr);
  assert.match(result.stderr, /wasm trap: RuntimeError: .*unreachable/);
});

// How fast a signal ends a guest is measured by `make bench`, not here.
test('SIGTERM ends a spinning component with 143; SIGKILL gives 137', async () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGKILL', 137]] as const) {
    const id = newId('sig');
    const child = containerd.spawnCtr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, '/app/busy.component.wasm']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await containerd.waitRunning(id);
    assert.is((await containerd.ctr(['task', 'kill', '-s', signal, id])).code, 0);
    assert.is(await exited, code);
    child.stdin!.destroy();
  }
});

test('two containers of a new component created at once transpile it once', async () => {
  const before = transpiles('/app/sleep.component.wasm');
  const results = await Promise.all([0, 1].map(() => run(['/app/sleep.component.wasm', '0', '4'])));
  for (const result of results) assert.is(result.code, 4, result.stderr);
  assert.is(transpiles('/app/sleep.component.wasm') - before, 1);
});

test('a corrupt cache entry is found and rebuilt', async () => {
  assert.is((await run(['/app/tty.component.wasm'])).code, 0);
  const before = transpiles('/app/tty.component.wasm');
  for (const name of entries()) {
    const file = join(containerd.componentCache, name, 'component.js');
    writeFileSync(file, readFileSync(file, 'utf8').replace('function', 'fnuction'));
  }
  const result = await run(['/app/tty.component.wasm']);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, 'isatty 0 0 0\n');
  assert.is(transpiles('/app/tty.component.wasm') - before, 1);
});

test('a malformed component, one that exports no entry point, and one importing what the host lacks fail Create saying why', async () => {
  const malformed = await run(['/app/component.wasm']);
  assert.is.not(malformed.code, 0);
  assert.match(malformed.stderr, '/app/component.wasm is not a valid WebAssembly component: ');
  const empty = await run(['/app/no-exports.component.wasm']);
  assert.is.not(empty.code, 0);
  assert.match(empty.stderr, '/app/no-exports.component.wasm exports neither wasi:cli/run nor wasi:http/incoming-handler (it exports nothing)');
  const sockets = await run(['/app/sockets.component.wasm']);
  assert.is.not(sockets.code, 0);
  assert.match(sockets.stderr, '/app/sockets.component.wasm imports wasi:sockets/network, which wasmts does not provide');
  // Nothing of a failed transpile stays in the cache: no staging directory, no lock.
  assert.equal(readdirSync(containerd.componentCache).filter((name) => /\.(lock|tmp)$/.test(name)), []);
});

// ctr gives a container no cgroup namespace, so Node in the runner finds no limit of its own and
// sizes V8's heap for the whole machine: before the limit reached V8 on the runner's command line
// (oci/runner-heap.ts), the OOM killer ended this server after a few hundred requests.
test('under a 128 MiB memory limit a wasi:http server serves 6000 requests, a fresh instance each, and is not OOM-killed', async () => {
  const id = newId('http');
  const url = 'http://127.0.0.1:8181/';
  const created = await containerd.ctr(['run', '-d', '--net-host', ...WASM, '--memory-limit', String(128 << 20), '--env', 'WASMTS_HTTP_ADDR=127.0.0.1:8181', WASM_TEST_IMAGE, id, `/app/${HTTP_COMPONENTS.c}`]);
  assert.is(created.code, 0, created.stderr);
  try {
    await until(async () => (await containerd.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url])).stdout === '200', 'the server answering');
    const load = await containerd.exec(process.execPath, ['--no-warnings', HTTP_LOAD, url, '16', '0', '6000'], { timeoutMs: 900_000 });
    assert.is(load.code, 0, load.stderr);
    assert.match((await containerd.ctr(['task', 'ls'])).stdout, new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm'), 'the server still runs');
    const { requests, errors } = JSON.parse(load.stdout) as { requests: number; errors: number };
    assert.equal({ requests, errors }, { requests: 6000, errors: 0 });
  } finally {
    await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    await until(async () => (await containerd.ctr(['task', 'delete', id])).code === 0, `task ${id} deleted`);
    await containerd.ctr(['container', 'delete', id]);
  }
});

test.run();
