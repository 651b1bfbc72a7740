// `start` as containerd runs it, many at once for one group: the socket is bound by a `start` and
// handed to the one daemon; the others find it. Then `delete` after the daemon is killed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before } from '../before.ts';
import { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { shimPids } from './leftovers.ts';
import { until } from './poll.ts';
import { DAEMON_NODE_OPTIONS } from '../../shim/bootstrap/start.ts';

const binary = join(import.meta.dirname, '../../dist/containerd-shim-wasmts-v1');
const work = mkdtempSync('/tmp/wasmts-start-');
let containerd: PrivateContainerd;

before(test, async () => {
  containerd = new PrivateContainerd({ shimDir: join(import.meta.dirname, '../../dist') });
  await containerd.start();
});

test.after(async () => {
  await containerd?.stop();
  rmSync(work, { recursive: true, force: true });
});

const shim = (bundle: string, command: string, { id = 'group-ten', env = '', program = binary } = {}) =>
  containerd.exec('sh', ['-c', `cd '${bundle}' && ${env} exec '${program}' -namespace wasmts-test -address '${containerd.socket}' -publish-binary /usr/bin/true -id ${id} ${command}`]);

function bundlesFor(name: string, count: number): string[] {
  const bundles = Array.from({ length: count }, (_, i) => join(work, `${name}-${i}`));
  for (const bundle of bundles) {
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { args: ['/app.wasm'], cwd: '/' }, root: { path: 'rootfs' } }));
  }
  return bundles;
}

const addressOf = (stdout: string) => /unix:\/\/[^"\s]+/.exec(stdout)?.[0];

test('ten concurrent starts for one group spawn one daemon and all answer its address; nothing is left once it is gone', async () => {
  const bundles = bundlesFor('bundle', 10);
  const results = await Promise.all(bundles.map((bundle) => shim(bundle, 'start')));
  for (const result of results) assert.is(result.code, 0, result.stderr);
  const addresses = new Set(results.map((result) => addressOf(result.stdout)));
  assert.is(addresses.size, 1, [...addresses].join(' '));
  const socket = [...addresses][0]!.slice('unix://'.length);
  const daemons = shimPids(containerd);
  assert.is(daemons.length, 1, `daemons: ${daemons.join(' ')}`);
  assert.is((await containerd.exec('sh', ['-c', `test -S '${socket}'`])).code, 0, 'the socket is there');
  process.kill(daemons[0]!, 'SIGKILL');
  await until(() => shimPids(containerd).length === 0, 'the daemon to die');
  const deleted = await shim(bundles[0]!, 'delete');
  assert.is(deleted.code, 0, deleted.stderr);
  assert.is((await containerd.exec('sh', ['-c', `test -e '${socket}'`])).code, 1, 'the dead daemon\'s socket is removed');
  assert.is((await containerd.exec('sh', ['-c', `ls -A "$(dirname '${socket}')"`])).stdout, '', 'no lock or temporary socket beside it');
});

// Pods of the node share one daemon; WASMTS_DAEMON=pod in containerd's environment gives each its own.
test('two pods find one daemon; with WASMTS_DAEMON=pod each has its own; a bad scope is named', async () => {
  const [a, b, c, d] = bundlesFor('scope', 4);
  const shared = await Promise.all([shim(a!, 'start', { id: 'pod-a' }), shim(b!, 'start', { id: 'pod-b' })]);
  for (const result of shared) assert.is(result.code, 0, result.stderr);
  assert.is(addressOf(shared[0]!.stdout), addressOf(shared[1]!.stdout));
  assert.is(shimPids(containerd).length, 1);
  const own = await Promise.all([shim(c!, 'start', { id: 'pod-c', env: 'WASMTS_DAEMON=pod' }), shim(d!, 'start', { id: 'pod-d', env: 'WASMTS_DAEMON=pod' })]);
  for (const result of own) assert.is(result.code, 0, result.stderr);
  assert.is.not(addressOf(own[0]!.stdout), addressOf(own[1]!.stdout));
  assert.equal([shimPids(containerd, 'pod-c').length, shimPids(containerd, 'pod-d').length], [1, 1]);
  const bad = await shim(a!, 'start', { id: 'pod-e', env: 'WASMTS_DAEMON=cluster' });
  assert.is.not(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, 'WASMTS_DAEMON=cluster is not a daemon scope');
  for (const pid of shimPids(containerd)) process.kill(pid, 'SIGKILL');
  await until(() => shimPids(containerd).length === 0, 'the daemons to die');
  for (const bundle of [a!, c!, d!]) assert.is((await shim(bundle, 'delete')).code, 0);
  assert.is((await containerd.exec('sh', ['-c', `ls -A /run/containerd/s 2>/dev/null`])).stdout, '', 'no socket is left');
});

test('a new binary (an upgrade renames one into place), or other settings in containerd\'s environment, get a daemon of their own; the old one serves on', async () => {
  const [old, upgraded, traced] = bundlesFor('upgrade', 3);
  const first = await shim(old!, 'start', { id: 'pod-old' });
  assert.is(first.code, 0, first.stderr);
  const copy = join(work, 'containerd-shim-wasmts-v1');
  copyFileSync(binary, copy);
  chmodSync(copy, 0o755);
  const second = await shim(upgraded!, 'start', { id: 'pod-new', program: copy });
  assert.is(second.code, 0, second.stderr);
  assert.is.not(addressOf(second.stdout), addressOf(first.stdout));
  assert.is(shimPids(containerd).length, 2, 'the old daemon and the new binary\'s');
  const third = await shim(traced!, 'start', { id: 'pod-traced', env: 'WASMTS_LAYER_CACHE=/var/lib/wasmts/other-layers' });
  assert.is(third.code, 0, third.stderr);
  assert.not.ok([first, second].some((result) => addressOf(result.stdout) === addressOf(third.stdout)), 'a daemon for those settings');
  assert.is(shimPids(containerd).length, 3);
  for (const pid of shimPids(containerd)) process.kill(pid, 'SIGKILL');
  await until(() => shimPids(containerd).length === 0, 'the daemons to die');
  assert.is((await shim(old!, 'delete')).code, 0);
  assert.is((await shim(upgraded!, 'delete', { program: copy })).code, 0);
  assert.is((await shim(traced!, 'delete')).code, 0);
  assert.is((await containerd.exec('sh', ['-c', `ls -A /run/containerd/s 2>/dev/null`])).stdout, '', 'no socket is left');
});

// The executable takes Node's options from its command line only (execArgvExtension "cli"): a
// NODE_OPTIONS in containerd's environment, here one that would make Node fail before any of our code,
// reaches none of -info, start, the daemon or delete.
test('the daemon alone runs with its young-generation cap; NODE_OPTIONS in containerd\'s environment reaches no part of the shim', async () => {
  const [bundle] = bundlesFor('options', 1);
  const env = `NODE_OPTIONS='--require /nonexistent-preload.js'`;
  const info = await containerd.exec('sh', ['-c', `${env} '${binary}' -info </dev/null`]);
  assert.is(info.code, 0, info.stderr);
  assert.match(info.stdout, 'io.containerd.wasmts.v1');
  const started = await shim(bundle!, 'start', { id: 'pod-options', env });
  assert.is(started.code, 0, started.stderr);
  const [daemon] = shimPids(containerd);
  assert.ok(daemon, 'a daemon serves');
  const argv = readFileSync(`/proc/${daemon}/cmdline`, 'utf8').split('\0');
  assert.is(argv[1], `--node-options=${DAEMON_NODE_OPTIONS.join(' ')}`);
  process.kill(daemon!, 'SIGKILL');
  await until(() => shimPids(containerd).length === 0, 'the daemon to die');
  const deleted = await shim(bundle!, 'delete', { id: 'pod-options', env });
  assert.is(deleted.code, 0, deleted.stderr);
});

test.run();
