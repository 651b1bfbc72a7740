import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { EXAMPLES } from './example.ts';

async function run(name: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync('/tmp/wasmts-example-');
  const [out, err] = [openSync(join(dir, 'out'), 'w'), openSync(join(dir, 'err'), 'w')];
  const wasi = new WASI({ version: 'preview1', stdout: out, stderr: err, returnOnExit: true });
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(EXAMPLES[name]!.module()), wasi.getImportObject() as WebAssembly.Imports);
  const code = wasi.start(instance);
  closeSync(out);
  closeSync(err);
  const result = { code, stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8') };
  rmSync(dir, { recursive: true, force: true });
  return result;
}

test('hello prints its line on stdout and exits 0', async () => {
  assert.equal(await run('hello'), { code: 0, stdout: 'Hello from WebAssembly, run by wasmts\n', stderr: '' });
});

test('fail prints on stderr and exits 3', async () => {
  assert.equal(await run('fail'), { code: 3, stdout: '', stderr: 'failing on purpose with exit code 3\n' });
});

test('sleep asks for an hour on the monotonic clock, again and again', async () => {
  const module = await WebAssembly.compile(EXAMPLES.sleep!.module());
  let polls = 0;
  let memory: WebAssembly.Memory | undefined;
  const stop = new Error('stop');
  const instance = await WebAssembly.instantiate(module, {
    wasi_snapshot_preview1: {
      poll_oneoff(input: number, _out: number, count: number) {
        const view = new DataView(memory!.buffer);
        assert.is(count, 1);
        assert.is(view.getUint8(input + 8), 0, 'a clock subscription');
        assert.is(view.getUint32(input + 16, true), 1, 'the monotonic clock');
        assert.is(view.getBigUint64(input + 24, true), 3_600_000_000_000n);
        if (++polls === 3) throw stop;
        return 0;
      },
    },
  });
  memory = instance.exports.memory as WebAssembly.Memory;
  assert.throws(() => (instance.exports._start as () => void)(), (error: Error) => error === stop);
  assert.is(polls, 3);
});

test.run();
