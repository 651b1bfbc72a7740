// containerd 1.6 + runc, driven with ctr, run wasm and native containers through our shim.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctrSuite } from './ctr-suite.ts';
import { buildImageArchive, WASM_PLATFORM } from '../../oci/image.ts';
import { BUSYBOX_IMAGE, FIXTURE_OUT, WASM_TEST_IMAGE } from '../fixtures/build.ts';
import { leftovers, NOTHING, settledLeftovers, shimPids } from './leftovers.ts';
import { until } from './poll.ts';
import { pidsMatching } from '../../scripts/processes.ts';

const root = join(import.meta.dirname, '../..');
const RUNTIME = ['--runtime', 'io.containerd.wasmts.v1'];
const WASM = [...RUNTIME, '--platform', 'wasip1/wasm'];
const { containerd, ids, newId } = ctrSuite(test);

const runWasm = (args: string[], options: { env?: string[]; input?: string; extra?: string[] } = {}) =>
  containerd.ctr(['run', '--rm', ...WASM, ...(options.extra ?? []), ...(options.env ?? []).flatMap((e) => ['--env', e]), WASM_TEST_IMAGE, newId('w'), ...args], { input: options.input });

test('hello prints its args and exactly the spec env', async () => {
  const result = await runWasm(['/app/hello.wasm', 'one', 'two words', ''], { env: ['GREETING=hi=there'] });
  assert.is(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.equal(lines.filter((l) => l.startsWith('arg[')), ['arg[0]=/app/hello.wasm', 'arg[1]=one', 'arg[2]=two words', 'arg[3]=']);
  assert.equal(lines.filter((l) => l.startsWith('env ')).sort(), ['env GREETING=hi=there', 'env PATH=/app']);
  assert.match(result.stderr, 'hello on stderr');
});

test('exit codes 0, 3 and 255 come back to ctr', async () => {
  for (const code of [0, 3, 255]) {
    const result = await runWasm([], { env: [`EXIT_CODE=${code}`] });
    assert.is(result.code, code, result.stderr);
  }
});

test('stdin reaches the guest and is echoed', async () => {
  const input = 'line one\nline two\n'.repeat(1000);
  const result = await runWasm(['/app/cat.wasm'], { input });
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, input);
});

test('10 MiB piped into ctr run arrive whole, byte for byte, ten times in a row', async () => {
  // ctr sends CloseIO as soon as its input ends, while bytes are still queued in the FIFO.
  const input = randomBytes(7.5 * (1 << 20)).toString('base64');
  for (let run = 0; run < 10; run++) {
    const result = await runWasm(['/app/cat.wasm'], { input });
    assert.is(result.code, 0, result.stderr);
    assert.ok(result.stdout === input, `run ${run}: ${result.stdout.length} of ${input.length} bytes came back`);
  }
});

test('--log-uri file:// captures stdout and stderr', async () => {
  const log = join(containerd.dir, 'hello.log');
  const result = await runWasm(['/app/hello.wasm', 'logged'], { extra: ['--log-uri', `file://${log}`] });
  assert.is(result.code, 0, result.stderr);
  const text = readFileSync(log, 'utf8');
  assert.match(text, 'arg[1]=logged');
  assert.match(text, 'hello on stderr');
  rmSync(log);
});

// An image that ships a preload list and an OpenSSL config naming shared objects, and a guest that
// goes for the runner's memory, its files and its inspector: none of it reaches native code.
test('a hostile guest stays a wasm guest: no /proc/self/mem, no writable runner, no ld.so.preload, no OpenSSL engines, no inspector', async () => {
  const name = 'docker.io/wasmts/hostile:latest';
  const text = (value: string) => new TextEncoder().encode(value);
  const archive = join(containerd.dir, 'hostile.tar');
  writeFileSync(archive, await buildImageArchive({
    name,
    ...WASM_PLATFORM,
    entrypoint: ['/app/probe.wasm'],
    files: [
      { path: '/app/probe.wasm', content: readFileSync(join(FIXTURE_OUT, 'probe.wasm')), mode: 0o644 },
      { path: '/etc/ld.so.preload', content: text('/app/evil.so\n'), mode: 0o644 },
      // The loader would take a libc from here before the runner's own, if the image's file showed.
      { path: '/.wasmts/lib/glibc-hwcaps/x86-64-v2/libc.so.6', content: text('not a library\n'), mode: 0o644 },
      { path: '/etc/ssl/openssl.cnf', content: text('openssl_conf = init\nnodejs_conf = init\n[init]\nengines = engines\n[engines]\nevil = evil\n[evil]\ndynamic_path = /app/evil-engine.so\ninit = 1\n'), mode: 0o644 },
    ],
  }));
  assert.is((await containerd.ctr(['images', 'import', archive])).code, 0);
  const probe = await containerd.ctr(['run', '--rm', ...WASM, name, newId('hostile')]);
  assert.is(probe.code, 0, probe.stderr);
  assert.not.match(probe.stderr, /ld\.so|preload|OpenSSL|evil|libc|too short/, 'the loader and OpenSSL never read the image\'s files');
  const results: Record<string, string> = Object.fromEntries(probe.stdout.trim().split('\n').map((line) => [line.split(' ')[0]!, line.slice(line.indexOf(' ') + 1)]));
  assert.equal(Object.keys(results), ['proc-mem', 'proc-oom', 'ld-preload', 'runner', 'runner-lib', 'runner-hwcaps']);
  for (const [route, result] of Object.entries(results)) assert.match(result, /Read-only file system|Permission denied|Operation not permitted|Text file busy/, `${route}: ${result}`);
  const raised = await containerd.ctr(['run', '--rm', ...WASM, name, newId('raise'), '/app/probe.wasm', 'raise']);
  assert.is(raised.code, 0, raised.stderr);
  assert.match(raised.stdout, 'raised 0');
  assert.not.match(raised.stderr, /Debugger|inspector|9229/);
});

test('a file:// log URI that names a FIFO with no reader does not block the daemon', async () => {
  const fifo = join(containerd.dir, 'log-fifo');
  assert.is((await containerd.exec('mkfifo', [fifo])).code, 0);
  const result = await runWasm(['/app/hello.wasm', 'to-a-fifo'], { extra: ['--log-uri', `file://${fifo}`] });
  assert.is(result.code, 0, result.stderr);
  rmSync(fifo);
});

test('a trap ends the container with 134 and the trap on stderr', async () => {
  const result = await runWasm(['/app/trap.wasm']);
  assert.is(result.code, 134);
  assert.match(result.stderr, /wasm trap: RuntimeError: unreachable/);
});

// `ctr events` prints only what happens after it subscribed: a container created and removed until
// its event shows tells when that is.
async function subscribed(text: () => string): Promise<void> {
  const probe = newId('probe');
  await until(async () => {
    await containerd.ctr(['containers', 'create', WASM_TEST_IMAGE, probe]);
    await containerd.ctr(['containers', 'rm', probe]);
    return text().includes(probe);
  }, 'ctr events to subscribe');
}

async function signalled(args: string[], signal: string): Promise<{ code: number | null }> {
  const id = newId('sig');
  const child = containerd.spawnCtr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, ...args]);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await containerd.waitRunning(id);
  const kill = await containerd.ctr(['task', 'kill', '-s', signal, id]);
  assert.is(kill.code, 0, kill.stderr);
  const code = await exited;
  child.stdin!.destroy();
  return { code };
}

// How fast a signal ends a guest is measured by `make bench`, not here.
test('SIGTERM ends a spinning module with 143', async () => {
  assert.is((await signalled(['/app/spin.wasm'], 'SIGTERM')).code, 143);
});

test('SIGTERM ends a module blocked reading stdin with 143', async () => {
  assert.is((await signalled(['/app/cat.wasm'], 'SIGTERM')).code, 143);
});

test('SIGINT ends a sleeping module with 130; SIGKILL gives 137', async () => {
  assert.is((await signalled(['/app/sleep.wasm'], 'SIGINT')).code, 130);
  assert.is((await signalled(['/app/spin.wasm'], 'SIGKILL')).code, 137);
});

test('a malformed module fails with the compiler reason, and a missing or wrong entrypoint says so', async () => {
  const bad = await runWasm(['/app/bad.wasm']);
  assert.is.not(bad.code, 0);
  assert.match(bad.stderr, '/app/bad.wasm is not a valid WebAssembly module');
  const missing = await runWasm(['/app/missing.wasm']);
  assert.is.not(missing.code, 0);
  assert.match(missing.stderr, 'entrypoint "/app/missing.wasm" was not found in the container\'s root filesystem');
  const text = await runWasm(['/app/notes.txt']);
  assert.match(text.stderr, '/app/notes.txt is a file starting with bytes');
});

test('a module importing more than WASI preview1 fails Create, naming the import', async () => {
  const result = await runWasm(['/app/foreign-import.wasm']);
  assert.is.not(result.code, 0);
  assert.match(result.stderr, '/app/foreign-import.wasm imports env.host_function, which WASI preview1 as wasmts runs it does not provide');
});

test('events go to containerd in order: create, start, exit, delete', async () => {
  const events = containerd.spawnCtr(['events']);
  let text = '';
  events.stdout!.on('data', (chunk: Buffer) => (text += chunk));
  await subscribed(() => text);
  const id = newId('ev');
  const result = await containerd.ctr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, '/app/hello.wasm']);
  assert.is(result.code, 0, result.stderr);
  await until(() => text.split('\n').some((line) => line.includes(id) && line.includes('/tasks/delete')), `/tasks/delete of ${id}`);
  events.kill();
  const topics = text.split('\n').filter((line) => line.includes(id) && line.includes('/tasks/')).map((line) => /\/tasks\/\w+/.exec(line)![0]);
  assert.equal(topics, ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
  const exit = text.split('\n').find((line) => line.includes('/tasks/exit') && line.includes(id))!;
  assert.match(exit, /exited_at/);
});

test('a running wasm task has pids and non-zero CPU and memory stats', async () => {
  const id = newId('stats');
  assert.is((await containerd.ctr(['run', '-d', ...WASM, WASM_TEST_IMAGE, id, '/app/spin.wasm'])).code, 0);
  await containerd.waitRunning(id);
  const ps = await containerd.ctr(['task', 'ps', id]);
  assert.is(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^\d+/m);
  let metrics = await containerd.ctr(['task', 'metrics', id]);
  const value = (name: string) => Number(new RegExp(`^${name.replaceAll('.', '\\.')}\\s+(\\d+)`, 'm').exec(metrics.stdout)?.[1] ?? 0);
  const cpuOf = () => value('cpuacct.usage') || value('cpu.usage_usec');
  // A spinning guest uses CPU from its first moment; the counter shows it soon after.
  await until(async () => (metrics = await containerd.ctr(['task', 'metrics', id])).code === 0 && cpuOf() > 0, 'a CPU figure above 0').catch(() => {});
  assert.is(metrics.code, 0, metrics.stderr);
  const memory = value('memory.usage_in_bytes') || value('memory.usage');
  const cpu = cpuOf();
  assert.ok(memory > 0, `memory usage in:\n${metrics.stdout}`);
  assert.ok(cpu > 0, `cpu usage in:\n${metrics.stdout}`);
  assert.is((await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id])).code, 0);
  await until(async () => new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, 'm').test((await containerd.ctr(['task', 'ls'])).stdout), `${id} STOPPED`);
  assert.is((await containerd.ctr(['task', 'delete', id])).code, 0);
  assert.is((await containerd.ctr(['container', 'rm', id])).code, 0);
});

test('a module that outgrows its memory limit ends with 137 and a TaskOOM event', async () => {
  const events = containerd.spawnCtr(['events']);
  let text = '';
  events.stdout!.on('data', (chunk: Buffer) => (text += chunk));
  await subscribed(() => text);
  const id = newId('oom');
  const result = await containerd.ctr(['run', '--rm', '--memory-limit', String(160 << 20), ...WASM, WASM_TEST_IMAGE, id, '/app/memhog.wasm'], { timeoutMs: 60_000 });
  const oom = await until(() => text.split('\n').some((line) => line.includes('/tasks/oom') && line.includes(id)), `/tasks/oom of ${id}`, 10_000).catch(() => false);
  events.kill();
  assert.is(result.code, 137, result.stderr);
  assert.ok(oom, `no /tasks/oom for ${id} in:\n${text}`);
});

test('a shim killed while its task runs: containerd\'s cleanup through our delete leaves nothing', async () => {
  const id = newId('orphan');
  assert.is((await containerd.ctr(['run', '-d', ...WASM, WASM_TEST_IMAGE, id, '/app/spin.wasm'])).code, 0);
  await containerd.waitRunning(id);
  const shim = shimPids(containerd);
  assert.is(shim.length, 1);
  process.kill(shim[0]!, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    const tasks = await containerd.ctr(['task', 'ls']);
    if (!new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm').test(tasks.stdout)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await containerd.ctr(['task', 'delete', id]);
  assert.is((await containerd.ctr(['container', 'rm', id])).code, 0);
  // containerd deleted the task itself once the shim died, so `ctr task delete` had nothing to remove
  // ctr's own FIFOs with: those are ctr's, not the shim's. Everything of ours must be gone.
  await settledLeftovers(containerd, ids);
  const left = await leftovers(containerd, ids);
  await containerd.exec('sh', ['-c', `rm -f /run/containerd/fifo/*/${id}-*`]);
  assert.equal({ ...left, fifos: left.fifos.filter((fifo) => !fifo.includes(id)) }, NOTHING);
});

test('a native busybox image still runs through our shim, exit code included', async () => {
  const echo = await containerd.ctr(['run', '--rm', ...RUNTIME, BUSYBOX_IMAGE, newId('bb'), 'echo', 'hello from busybox']);
  assert.is(echo.code, 0, echo.stderr);
  assert.is(echo.stdout, 'hello from busybox\n');
  const exit = await containerd.ctr(['run', '--rm', ...RUNTIME, BUSYBOX_IMAGE, newId('bb'), 'sh', '-c', 'exit 5']);
  assert.is(exit.code, 5);
});

test('20 runs in a row and 10 at once leave nothing behind', async () => {
  for (let i = 0; i < 20; i++) {
    const result = await runWasm(['/app/hello.wasm', `run-${i}`]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, `arg[1]=run-${i}`);
  }
  const parallel = await Promise.all(Array.from({ length: 10 }, (_, i) => runWasm(['/app/hello.wasm', `par-${i}`])));
  parallel.forEach((result, i) => {
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, `arg[1]=par-${i}`);
  });
  assert.equal(await settledLeftovers(containerd, ids), NOTHING);
});

test('containerd restarted while a task runs: the task keeps running and its exit is still seen', async () => {
  const id = newId('restart');
  const run = await containerd.ctr(['run', '-d', ...WASM, WASM_TEST_IMAGE, id, '/app/sleep.wasm', '3', '7']);
  assert.is(run.code, 0, run.stderr);
  await containerd.waitRunning(id);
  await containerd.stopContainerd();
  await containerd.startContainerd();
  await containerd.waitRunning(id);
  // ctr 1.6 has no `task wait`; attach waits for the exit and returns its status.
  const attach = await containerd.ctr(['task', 'attach', id], { timeoutMs: 20_000 });
  assert.is(attach.code, 7, attach.stderr);
  await containerd.ctr(['task', 'delete', id]);
  assert.is((await containerd.ctr(['container', 'rm', id])).code, 0);
  assert.equal(await settledLeftovers(containerd, ids), NOTHING);
});

test('a start that fails after spawning its daemon leaves no daemon and no socket', async () => {
  const bundle = join(containerd.dir, 'failing-start');
  mkdirSync(join(bundle, 'address'), { recursive: true });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { args: ['/x'], cwd: '/' } }));
  const shim = join(root, 'dist/containerd-shim-wasmts-v1');
  const id = newId('failing-start');
  const result = await containerd.exec('sh', ['-c', `cd ${bundle} && ${shim} -namespace default -address ${containerd.socket} -publish-binary containerd -id ${id} start`]);
  assert.is.not(result.code, 0);
  assert.match(result.stdout + result.stderr, `cannot write ${bundle}/address`);
  const daemons = await until(() => shimPids(containerd).length === 0 && 'none', `the daemon ${id}'s start spawned to be gone`, 5000).catch(() => 'some');
  assert.is(daemons, 'none');
  assert.equal((await leftovers(containerd, [])).sockets, []);
});

// A stand-in runc that never returns from one command (WASMTS_TEST_STUCK) and runs the real one otherwise.
// Its sleep is this test process's own: other containerd versions' lanes run the same test at once.
const STUCK_SLEEP = `sleep ${1_000_000 + process.pid}`;
async function withStuckRunc(command: string, env: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const standIn = join(containerd.dir, 'stuck-runc');
  writeFileSync(standIn, `#!/bin/sh\nfor a in "$@"; do [ "$a" = "$WASMTS_TEST_STUCK" ] && exec ${STUCK_SLEEP}; done\nexec runc "$@"\n`, { mode: 0o755 });
  await containerd.stopContainerd();
  await containerd.startContainerd({ WASMTS_RUNC: standIn, WASMTS_TEST_STUCK: command, ...env });
  try {
    await body();
  } finally {
    await containerd.stopContainerd();
    await containerd.startContainerd();
  }
  assert.equal(pidsMatching((cmdline) => cmdline.includes(STUCK_SLEEP)), [], 'the stuck runc is gone');
  assert.equal(await settledLeftovers(containerd, ids), NOTHING);
}

test('a `runc run` that never returns: the daemon keeps answering, and Kill ends the starting task', () => withStuckRunc('run', { WASMTS_RUNC_TIMEOUT_MS: '600000' }, async () => {
  const id = newId('stuck-run');
  const run = containerd.spawnCtr(['run', '-d', ...WASM, WASM_TEST_IMAGE, id, '/app/spin.wasm']);
  const ran = new Promise<number | null>((resolve) => run.on('exit', resolve));
  // State answers while Start waits on runc: the task shows as created.
  await until(async () => new RegExp(`^${id}\\s+\\d+\\s+CREATED`, 'm').test((await containerd.ctr(['task', 'ls'])).stdout), `${id} listed while it starts`);
  const kill = await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
  assert.is(kill.code, 0, kill.stderr);
  assert.is.not(await ran, 0);
  assert.is((await containerd.ctr(['task', 'delete', id])).code, 0);
  assert.is((await containerd.ctr(['container', 'rm', id])).code, 0);
}));

test('a `runc delete` that never returns: Delete still answers, and runc\'s state and the cgroup are removed', () => withStuckRunc('delete', { WASMTS_RUNC_TIMEOUT_MS: '2000' }, async () => {
  const result = await runWasm(['/app/hello.wasm', 'stuck']);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, 'arg[1]=stuck');
}));

test('without runc the error says to install it', async () => {
  await containerd.stopContainerd();
  await containerd.startContainerd({ WASMTS_RUNC: '/nonexistent/runc' });
  try {
    const result = await runWasm(['/app/hello.wasm']);
    assert.is.not(result.code, 0);
    assert.match(result.stderr, 'cannot run /nonexistent/runc');
    assert.match(result.stderr, 'install runc (apt-get install runc)');
  } finally {
    await containerd.stopContainerd();
    await containerd.startContainerd();
  }
  assert.equal(await settledLeftovers(containerd, ids), NOTHING);
});

test.run();
