// Turns a component into what the runner loads: jco's bindings (instantiated synchronously with our
// host) and the core modules they instantiate. Runs in a short-lived process of its own (`transpile`),
// never in the daemon or the runner: it takes hundreds of milliseconds and tens of megabytes.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $init, generate } from '@bytecodealliance/jco-transpile/component';
import { BINDINGS_FILE, MANIFEST_FILE, type ComponentManifest } from './cache-format.ts';

export interface TranspiledComponent {
  files: [string, Uint8Array][];
  imports: string[];
  exports: string[];
}

export class TranspileError extends Error {
  override name = 'TranspileError';
}

// jco's glue is an ES module with one export the runner needs. As a function body it can be run with
// vm from a read-only cache, by a single executable, without a module loader.
export function bindingsAsFunctionBody(source: string): string {
  const lines = source.split('\n');
  const exports = lines.filter((line) => /^(export|import)\b/.test(line));
  if (!exports.some((line) => line.startsWith('export function instantiate('))) {
    throw new TranspileError('jco emitted no `export function instantiate(`: this jco version is not one wasmts knows');
  }
  if (exports.some((line) => line.startsWith('import'))) throw new TranspileError(`jco's bindings import modules (${exports.find((l) => l.startsWith('import'))}): wasmts supplies every import itself`);
  const body = lines.map((line) => line.replace(/^export (function|const|let|class) /, '$1 ')).join('\n')
    // jco's debug logging reads the environment on every call; the runner's environment is empty.
    .replaceAll('globalThis?.process?.env?.JCO_DEBUG', 'undefined');
  return `${body}\nreturn instantiate;\n`;
}

export async function transpileComponent(bytes: Uint8Array): Promise<TranspiledComponent> {
  await $init;
  let result;
  try {
    result = generate(bytes, { name: 'component', instantiation: { tag: 'sync' }, noTypescript: true, noNodejsCompat: true, base64Cutoff: 0 });
  } catch (error) {
    // The parser's reason comes as a chain of lines ("Caused by:"): one line reads better in a pod's events.
    const reason = String((error as { payload?: unknown }).payload ?? (error as Error).message);
    throw new TranspileError(reason.split('\n').map((line) => line.trim()).filter((line) => line && line !== 'Caused by:').join(': '));
  }
  const files = result.files.map(([name, content]): [string, Uint8Array] => (name === BINDINGS_FILE ? [name, new TextEncoder().encode(bindingsAsFunctionBody(new TextDecoder().decode(content)))] : [name, content]));
  return { files, imports: result.imports, exports: result.exports.map(([name]) => name) };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// `transpile COMPONENT OUTDIR JCO_VERSION`: the short-lived process. The reason of a failure goes to
// stderr; the caller moves OUTDIR into the cache.
export async function transpileCommand(args: string[]): Promise<void> {
  const [input, outDir, jco] = args;
  if (!input || !outDir || !jco) throw new Error('transpile needs the component, an output directory and the jco version');
  const bytes = readFileSync(input);
  const result = await transpileComponent(bytes);
  mkdirSync(outDir, { recursive: true });
  const manifest: ComponentManifest = { sha256: sha256(bytes), jco, files: {}, imports: result.imports, exports: result.exports };
  for (const [name, content] of result.files) {
    writeFileSync(join(outDir, name), content);
    manifest.files[name] = { size: content.length, sha256: sha256(content) };
  }
  writeFileSync(join(outDir, MANIFEST_FILE), JSON.stringify(manifest));
}
