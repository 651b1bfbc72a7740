import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { kindOfHeader } from '../../oci/classify.ts';
import { MANIFEST_FILE, parseManifest } from '../../runtime/component/cache-format.ts';
import { componentFromC, writeWit } from '../../scripts/http-component.ts';
import { runMain, runnerHarness } from '../../test/runner-harness.ts';
import { componentEngine } from '../container/component-engine.ts';
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

test('http comes from the single executable: run from the sources, it says so', () => {
  assert.throws(() => EXAMPLES.http!.module(), (error: Error) => error.message === 'image example http is built into the single executable: run it from dist/containerd-shim-wasmts-v1 (make build)');
});

const freePort = () => new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});

test('http, built from http-hello.c as scripts/build.ts builds it, is a wasi:http component that greets every path and drains on SIGTERM', async () => {
  const harness = runnerHarness();
  try {
    const source = join(import.meta.dirname, 'http-hello');
    const component = await componentFromC(`${source}.c`, writeWit(`${source}.wit`, harness.dir), 'http-hello', join(harness.dir, 'core.wasm'));
    assert.is(kindOfHeader(component.subarray(0, 8)), 'wasm-component');
    writeFileSync(join(harness.dir, 'http.wasm'), component);
    const transpiled = join(harness.dir, 'transpiled');
    const transpile = await runMain(['transpile', join(harness.dir, 'http.wasm'), transpiled, 'test']);
    assert.is(transpile.code, 0, transpile.stderr);
    // What Create decides from the component's exports and imports.
    assert.is(componentEngine(parseManifest(readFileSync(join(transpiled, MANIFEST_FILE), 'utf8'))!, 'http.wasm'), 'component-http');
    const port = await freePort();
    const server = harness.start(transpiled, ['http.wasm'], { engine: 'component-http', env: [`WASMTS_HTTP_ADDR=127.0.0.1:${port}`] });
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      server.child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
        if (stderr.includes('serving HTTP')) resolve();
      });
      server.child.on('exit', (code) => reject(new Error(`the server exited with ${code} before it served: ${stderr}`)));
    });
    const hello = await fetch(`http://127.0.0.1:${port}/some/path?q=1`);
    assert.equal([hello.status, hello.headers.get('content-type'), await hello.text()], [200, 'text/plain; charset=utf-8', 'Hello from a wasi:http component, run by wasmts: you asked for /some/path?q=1\n']);
    // Longer than one 4096-byte write of the body.
    const long = `/${'x'.repeat(6000)}`;
    assert.is(await (await fetch(`http://127.0.0.1:${port}${long}`, { method: 'POST', body: 'ignored' })).text(), `Hello from a wasi:http component, run by wasmts: you asked for ${long}\n`);
    server.child.kill('SIGTERM');
    assert.is((await server.done).code, 0);
  } finally {
    harness.cleanup();
  }
});

test.run();
