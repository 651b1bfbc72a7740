// Exec into native containers through our shim, driven with `ctr task exec`: exit codes, stdio, a
// kill, terminals; and the refusal for a wasm container.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ctrSuite } from './ctr-suite.ts';
import { pidsMatching } from '../../scripts/processes.ts';
import { BUSYBOX_IMAGE, WASM_TEST_IMAGE } from '../fixtures/build.ts';
import { NOTHING, settledLeftovers } from './leftovers.ts';
import { until } from './poll.ts';

const RUNTIME = ['--runtime', 'io.containerd.wasmts.v1'];
const { containerd, ids, newId } = ctrSuite(test);

const bundleOf = (id: string) => join(containerd.dir, 'state/io.containerd.runtime.v2.task/default', id);
const execFilesIn = (id: string) => readdirSync(bundleOf(id)).filter((name) => name.startsWith('exec-'));
const runcExecs = () => pidsMatching((cmdline) => / exec --process /.test(cmdline) && cmdline.includes(containerd.dir));

async function sleeper(args: string[] = []): Promise<string> {
  const id = newId('sleeper');
  const run = await containerd.ctr(['run', '-d', ...RUNTIME, ...args, BUSYBOX_IMAGE, id, 'sleep', '1000']);
  assert.is(run.code, 0, run.stderr);
  await containerd.waitRunning(id);
  return id;
}

async function removeTask(id: string): Promise<void> {
  await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
  await until(async () => new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, 'm').test((await containerd.ctr(['task', 'ls'])).stdout), `${id} STOPPED`);
  assert.is((await containerd.ctr(['task', 'delete', id])).code, 0);
  assert.is((await containerd.ctr(['container', 'rm', id])).code, 0);
}

// `ctr task ps` lists the container's cgroup: the sleeper and the exec's process.
const execRunning = (id: string) => until(async () => (await containerd.ctr(['task', 'ps', id])).stdout.trim().split('\n').length === 3, 'the exec running');

const exec = (id: string, execId: string, args: string[], input?: string) => containerd.ctr(['task', 'exec', '--exec-id', execId, id, ...args], { input });

test('exec into a running busybox: exit codes 0 and 3, stdout and stderr apart, stdin through', async () => {
  const id = await sleeper();
  const ok = await exec(id, 'ok', ['sh', '-c', 'echo out; echo err >&2']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, 'out\n');
  // ctr 2.2+ warns on stderr of its own (cgroup v1 deprecated).
  assert.is(ok.stderr.replace(/^time=.* level=warning .*\n/gm, ''), 'err\n');
  assert.is((await exec(id, 'three', ['sh', '-c', 'exit 3'])).code, 3);
  const input = 'line one\nline two\n'.repeat(500);
  const cat = await exec(id, 'cat', ['cat'], input);
  assert.is(cat.code, 0, cat.stderr);
  assert.ok(cat.stdout === input, `${cat.stdout.length} of ${input.length} bytes came back`);
  const again = await exec(id, 'ok', ['true']);
  assert.is(again.code, 0, 'an exec id is free again once its exec is deleted');
  assert.equal(execFilesIn(id), [], 'no process, pid or log file is left in the bundle');
  assert.equal(runcExecs(), []);
  await removeTask(id);
});

test('an exec killed with SIGKILL ends with 137 and the task runs on; a second exec with a live id is refused', async () => {
  const id = await sleeper();
  const child = containerd.spawnCtr(['task', 'exec', '--exec-id', 'long', id, 'sleep', '1000']);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await execRunning(id);
  const twice = await exec(id, 'long', ['true']);
  assert.is.not(twice.code, 0);
  assert.match(twice.stderr, /already exists/);
  const kill = await containerd.ctr(['task', 'kill', '--exec-id', 'long', '-s', 'SIGKILL', id]);
  assert.is(kill.code, 0, kill.stderr);
  assert.is(await exited, 137);
  assert.match((await containerd.ctr(['task', 'ls'])).stdout, new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm'));
  await until(() => runcExecs().length === 0 && execFilesIn(id).length === 0, 'runc exec and its files gone');
  await removeTask(id);
});

test('an exec running when the task is killed ends with it, and nothing of it is left', async () => {
  const id = await sleeper();
  const child = containerd.spawnCtr(['task', 'exec', '--exec-id', 'orphan', id, 'sleep', '1000']);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await execRunning(id);
  await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
  assert.is(await exited, 137);
  await removeTask(id);
  assert.equal(runcExecs(), []);
});

// ctr's -t needs a terminal of its own: `script` gives it one, whose size ctr sends as ResizePty.
const inTerminal = (command: string) => containerd.exec('script', ['--quiet', '--return', '--command', `stty rows 33 cols 77; ${command}`, '/dev/null']);
const ctrLine = (args: string) => `ctr --address ${containerd.socket} ${args}`;

test('exec -t: the process has a terminal, and ResizePty sets its size', async () => {
  const id = await sleeper();
  // The size comes after Start: the process polls for it rather than racing it.
  const result = await inTerminal(ctrLine(`task exec -t --exec-id tty ${id} sh -c 'tty; until [ "$(stty size)" = "33 77" ]; do sleep 0.1; done; stty size; exit 4'`));
  assert.is(result.code, 4, result.stderr);
  assert.match(result.stdout, /\/dev\/pts\/\d+/);
  assert.match(result.stdout, '33 77');
  assert.equal(runcExecs(), []);
  assert.equal(execFilesIn(id), []);
  await removeTask(id);
});

test('run -t: a native container with process.terminal runs with a terminal of its own', async () => {
  const id = newId('tty');
  const result = await inTerminal(ctrLine(`run --rm -t ${RUNTIME.join(' ')} ${BUSYBOX_IMAGE} ${id} sh -c 'tty; exit 6'`));
  assert.is(result.code, 6, result.stderr);
  assert.match(result.stdout, /\/dev\/pts\/\d+/);
});

test('exec into a wasm container is refused, saying why and where to exec instead', async () => {
  const id = newId('wasm');
  const run = await containerd.ctr(['run', '-d', ...RUNTIME, '--platform', 'wasip1/wasm', WASM_TEST_IMAGE, id, '/app/sleep.wasm']);
  assert.is(run.code, 0, run.stderr);
  await containerd.waitRunning(id);
  const result = await exec(id, 'sh', ['sh']);
  assert.is.not(result.code, 0);
  assert.match(result.stderr, 'runs a single guest, with no shell or other programs to exec; exec into a native sidecar of the pod instead');
  await removeTask(id);
});

test('nothing is left behind', async () => {
  const left = await settledLeftovers(containerd, ids);
  assert.equal(left, NOTHING);
});

test.run();
