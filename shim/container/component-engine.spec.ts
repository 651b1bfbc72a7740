import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { componentEngine } from './component-engine.ts';

const manifest = (exports: string[], imports: string[] = []) => ({ sha256: 'x', jco: '1', files: {}, imports, exports });

test('the engine follows the exports; a server that is also a command is served', () => {
  assert.is(componentEngine(manifest(['run', 'wasi:cli/run@0.2.3'], ['wasi:cli/environment', 'wasi:io/streams']), 'c.wasm'), 'component-command');
  assert.is(componentEngine(manifest(['incomingHandler', 'wasi:http/incoming-handler@0.2.10'], ['wasi:http/types', 'wasi:http/outgoing-handler']), 'h.wasm'), 'component-http');
  assert.is(componentEngine(manifest(['wasi:cli/run@0.2.0', 'wasi:http/incoming-handler@0.2.0']), 'both.wasm'), 'component-http');
});

test('no entry point, or an import the host lacks, is a sentence naming them', () => {
  assert.throws(() => componentEngine(manifest(['example:lib/math@1.0.0']), 'lib.wasm'), /lib.wasm exports neither wasi:cli\/run nor wasi:http\/incoming-handler \(it exports example:lib\/math@1.0.0\)/);
  assert.throws(() => componentEngine(manifest(['wasi:cli/run@0.2.0'], ['wasi:sockets/tcp', 'wasi:io/streams']), 'net.wasm'), /net.wasm imports wasi:sockets\/tcp, which wasmts does not provide/);
  assert.is(componentEngine(manifest(['wasi:cli/run@0.2.0'], ['wasi:http/types', 'wasi:http/outgoing-handler']), 'fetching-cli.wasm'), 'component-command');
});

test.run();
