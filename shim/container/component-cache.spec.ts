import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../../test/before.ts';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModules, FIXTURE_OUT, MALFORMED_COMPONENT } from '../../test/fixtures/build.ts';
import type { Logger } from '../log.ts';
import { ComponentCache, ComponentError, evict } from './component-cache.ts';

const work = mkdtempSync(join(tmpdir(), 'component-cache-'));
before(test, async () => {
  await buildModules();
});
test.after(() => rmSync(work, { recursive: true, force: true }));

function recorder() {
  const lines: string[] = [];
  const log: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) } as Logger;
  return { log, transpiles: () => lines.filter((l) => l === 'component transpiled').length };
}

// The transpile process is this program from its sources, as the daemon would start itself.
const self = { file: process.execPath, args: ['--no-warnings', join(import.meta.dirname, '../main.ts')] };
let roots = 0;
const newRoot = () => join(work, `root-${roots++}`);
const leftovers = (root: string) => readdirSync(root).filter((name) => /\.(lock|tmp)$/.test(name));
const hello = join(FIXTURE_OUT, 'hello.component.wasm');

test('creates of one component at once, in one daemon or two, transpile it once', async () => {
  const root = newRoot();
  const { log, transpiles } = recorder();
  const daemons = [new ComponentCache({ root, maxBytes: 1 << 30, log, self }), new ComponentCache({ root, maxBytes: 1 << 30, log, self })];
  const results = await Promise.all([daemons[0]!.get(hello, 'a'), daemons[0]!.get(hello, 'b'), daemons[1]!.get(hello, 'c')]);
  assert.is(transpiles(), 1);
  assert.is(new Set(results.map((r) => r.dir)).size, 1);
  assert.ok(results[0]!.manifest.exports.some((name) => name.startsWith('wasi:cli/run@')));
  assert.equal(leftovers(root), []);
  const again = await daemons[1]!.get(hello, 'd');
  assert.is(again.transpiled, false);
  assert.is(transpiles(), 1);
});

test('a corrupt or truncated entry is rebuilt', async () => {
  const root = newRoot();
  const { log, transpiles } = recorder();
  const cache = new ComponentCache({ root, maxBytes: 1 << 30, log, self });
  const { dir } = await cache.get(hello, 'hello');
  const js = join(dir, 'component.js');
  writeFileSync(js, readFileSync(js, 'utf8').replace('function', 'fnuction'));
  assert.is((await cache.get(hello, 'hello')).transpiled, true);
  writeFileSync(join(dir, 'component.core.wasm'), '');
  assert.is((await cache.get(hello, 'hello')).transpiled, true);
  assert.is(transpiles(), 3);
});

test('a lock left by a daemon that died is taken over', async () => {
  const root = newRoot();
  const { log } = recorder();
  const cache = new ComponentCache({ root, maxBytes: 1 << 30, log, self });
  const { dir } = await cache.get(hello, 'hello');
  rmSync(dir, { recursive: true });
  mkdirSync(`${dir}.lock`);
  // No process has this pid: pids stop at 2^22 on Linux.
  writeFileSync(join(`${dir}.lock`, 'pid'), String(2 ** 22 + 1));
  assert.is((await cache.get(hello, 'hello')).transpiled, true);
  assert.equal(leftovers(root), []);
  // One that died before it wrote its pid: the lock is old, and has none.
  rmSync(dir, { recursive: true });
  mkdirSync(`${dir}.lock`);
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${dir}.lock`, old, old);
  assert.is((await cache.get(hello, 'hello')).transpiled, true);
  assert.equal(leftovers(root), []);
});

test('a malformed component is a ComponentError with the parser\'s reason, and leaves nothing', async () => {
  const root = newRoot();
  const bad = join(work, 'bad.wasm');
  writeFileSync(bad, MALFORMED_COMPONENT);
  const error = await new ComponentCache({ root, maxBytes: 1 << 30, log: recorder().log, self }).get(bad, '/app/bad.wasm').catch((e: Error) => e);
  assert.instance(error, ComponentError);
  assert.match((error as Error).message, /^\/app\/bad.wasm is not a valid WebAssembly component: .*unexpected end-of-file/);
  assert.equal(readdirSync(root), []);
});

test('eviction removes the least recently used entries down to the bound, never one in use or just used', async () => {
  const root = newRoot();
  const { log } = recorder();
  const entry = (name: string, bytes: number, ageMs: number) => {
    const dir = join(root, `${name.repeat(64)}-jco1`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'component.core.wasm'), new Uint8Array(bytes));
    writeFileSync(join(dir, 'manifest.json'), '{}');
    const when = new Date(Date.now() - ageMs);
    utimesSync(join(dir, 'manifest.json'), when, when);
    return dir;
  };
  const hour = 3_600_000;
  const oldest = entry('a', 1000, 5 * hour);
  const older = entry('b', 1000, 4 * hour);
  const keep = entry('c', 1000, 3 * hour);
  const recent = entry('d', 1000, 1000);
  await evict(root, 1500, keep, log);
  assert.equal(readdirSync(root).sort(), [keep, recent].map((d) => d.split('/').pop()).sort());
  assert.ok(oldest && older);
});

test.run();
