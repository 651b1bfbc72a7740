// Checks a core module before anything runs: it must compile, import only WASI preview1 and export
// _start. Compiling here (no guest code runs) turns a bad module into a Create error with the reason.
import { readFile } from 'node:fs/promises';

const PREVIEW1 = 'wasi_snapshot_preview1';

// Compiled off the daemon's thread: a large module must not stall the other tasks' calls.
export async function checkModule(bytes: Uint8Array<ArrayBuffer>, path: string): Promise<void> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (error) {
    throw new Error(`${path} is not a valid WebAssembly module: ${(error as Error).message}`);
  }
  const foreign = WebAssembly.Module.imports(module).filter((entry) => entry.module !== PREVIEW1);
  if (foreign.length > 0) {
    const names = foreign.slice(0, 5).map((entry) => `${entry.module}.${entry.name}`).join(', ');
    throw new Error(`${path} imports ${names}${foreign.length > 5 ? ', ...' : ''}, which WASI preview1 does not provide: build it for wasm32-wasip1 (wasm32-wasi)`);
  }
  const start = WebAssembly.Module.exports(module).find((entry) => entry.name === '_start');
  if (start?.kind !== 'function') throw new Error(`${path} exports no _start function: it is not a WASI command (a library or reactor cannot run as a container)`);
}

export async function checkModuleFile(hostPath: string, path: string): Promise<void> {
  await checkModule(await readFile(hostPath), path);
}
