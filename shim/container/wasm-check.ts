// Checks a core module before anything runs: it must compile, import only WASI preview1 and export
// _start. Compiling here (no guest code runs) turns a bad module into a Create error with the reason.
import { readFile } from 'node:fs/promises';

const PREVIEW1 = 'wasi_snapshot_preview1';

// What the engine (node:wasi, the runner's) provides, asked of it rather than listed by hand.
let provided: Set<string> | undefined;
async function preview1Functions(): Promise<Set<string>> {
  const { WASI } = await import('node:wasi');
  provided ??= new Set(Object.keys((new WASI({ version: 'preview1' }).getImportObject() as Record<string, object>)[PREVIEW1]!));
  return provided;
}

// Compiled off the daemon's thread: a large module must not stall the other tasks' calls.
export async function checkModule(bytes: Uint8Array<ArrayBuffer>, path: string): Promise<void> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (error) {
    throw new Error(`${path} is not a valid WebAssembly module: ${(error as Error).message}`);
  }
  const functions = await preview1Functions();
  const foreign = WebAssembly.Module.imports(module).filter((entry) => entry.module !== PREVIEW1 || (entry.kind === 'function' && !functions.has(entry.name)));
  if (foreign.length > 0) {
    const names = foreign.slice(0, 5).map((entry) => `${entry.module}.${entry.name}`).join(', ');
    throw new Error(`${path} imports ${names}${foreign.length > 5 ? ', ...' : ''}, which WASI preview1 as wasmts runs it does not provide: build it for wasm32-wasip1 (wasm32-wasi) against a standard wasi-libc`);
  }
  const start = WebAssembly.Module.exports(module).find((entry) => entry.name === '_start');
  if (start?.kind !== 'function') throw new Error(`${path} exports no _start function: it is not a WASI command (a library or reactor cannot run as a container)`);
}

export async function checkModuleFile(hostPath: string, path: string): Promise<void> {
  await checkModule(await readFile(hostPath), path);
}
