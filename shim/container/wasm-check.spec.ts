import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModule, checkModuleFile, IN_PROCESS_LIMIT } from './wasm-check.ts';

// (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory (export "memory") 1) (func (export "_start")))
const good = Uint8Array.from([0,97,115,109,1,0,0,0,1,8,2,96,1,127,0,96,0,0,2,36,1,22,119,97,115,105,95,115,110,97,112,115,104,111,116,95,112,114,101,118,105,101,119,49,9,112,114,111,99,95,101,120,105,116,0,0,3,2,1,1,5,3,1,0,1,7,19,2,6,109,101,109,111,114,121,2,0,6,95,115,116,97,114,116,0,1,10,4,1,2,0,11]);

test('a WASI command passes', async () => {
  await checkModule(good, '/app/good.wasm');
});

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: Error) => e);
  assert.ok(error, 'expected a rejection');
  assert.match(error!.message, pattern);
}

test('a truncated module fails with the compiler reason and the path', async () => {
  await rejects(checkModule(good.slice(0, 30), '/app/bad.wasm'), /\/app\/bad.wasm is not a valid WebAssembly module: .+/);
});

test('imports outside preview1 and a missing _start are named', async () => {
  const foreign = Uint8Array.from(good);
  foreign.set(new TextEncoder().encode('wasi_snapshot_preview2'), 22);
  await rejects(checkModule(foreign, '/m.wasm'), /imports wasi_snapshot_preview2.proc_exit, which WASI preview1 as wasmts runs it does not provide/);
  const noStart = Uint8Array.from(good);
  noStart.set(new TextEncoder().encode('_stop'), 78);
  await rejects(checkModule(noStart, '/m.wasm'), /exports no _start function/);
});

test('a preview1 import the engine does not have fails at Create, naming it', async () => {
  const unknown = Uint8Array.from(good);
  // proc_exit -> proc_exiz: still wasi_snapshot_preview1, a name node:wasi does not provide.
  unknown.set(new TextEncoder().encode('proc_exiz'), 45);
  await rejects(checkModule(unknown, '/m.wasm'), /imports wasi_snapshot_preview1.proc_exiz, which WASI preview1 as wasmts runs it does not provide/);
});

const dir = mkdtempSync(join(tmpdir(), 'wasm-check-'));
test.after(() => rmSync(dir, { recursive: true }));

// `good` with a custom section of `size` bytes: as valid, and as large, as wanted.
function padded(size: number): Uint8Array {
  const name = new TextEncoder().encode('pad');
  const length = name.length + 1 + size;
  const leb: number[] = [];
  for (let v = length; ; v >>>= 7) {
    if (v < 0x80) { leb.push(v); break; }
    leb.push((v & 0x7f) | 0x80);
  }
  return Uint8Array.from([...good, 0, ...leb, name.length, ...name, ...new Uint8Array(size)]);
}

const shim = { file: process.execPath, args: ['--no-warnings', join(import.meta.dirname, '../main.ts')] };

test('a large module is checked in a process of its own, with the same verdicts; a small one in the daemon', async () => {
  const big = join(dir, 'big.wasm');
  writeFileSync(big, padded(IN_PROCESS_LIMIT + 1));
  await checkModuleFile(big, '/app/big.wasm', shim);
  const bad = join(dir, 'big-bad.wasm');
  writeFileSync(bad, padded(IN_PROCESS_LIMIT + 1).slice(0, IN_PROCESS_LIMIT + 100));
  await rejects(checkModuleFile(bad, '/app/big-bad.wasm', shim), /\/app\/big-bad.wasm is not a valid WebAssembly module: .+/);
  // A checker that cannot run shows which modules are checked out of the daemon.
  const nowhere = { file: '/nonexistent/shim', args: [] };
  await rejects(checkModuleFile(big, '/app/big.wasm', nowhere), /checking \/app\/big.wasm failed/);
  const small = join(dir, 'small.wasm');
  writeFileSync(small, padded(100));
  await checkModuleFile(small, '/app/small.wasm', nowhere);
});

test.run();
