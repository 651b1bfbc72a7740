// Checks a core module before anything runs: it must compile, import only WASI preview1 and export
// _start. Compiling here (no guest code runs) turns a bad module into a Create error with the reason.
import { readFile, stat } from 'node:fs/promises';
import { selfCommand } from '../self.ts';

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

// Compiling takes memory in proportion to the module, and V8 keeps what it took: a large module is
// checked in a short-lived process of its own, so the daemon (which lives in containerd's cgroup,
// outside every pod's limit) stays small.
export const IN_PROCESS_LIMIT = 4 << 20;
const CHECK_TIMEOUT_MS = 120_000;

export async function checkModuleFile(hostPath: string, path: string, self: { file: string; args: string[] } = selfCommand()): Promise<void> {
  if ((await stat(hostPath)).size <= IN_PROCESS_LIMIT) return checkModule(await readFile(hostPath), path);
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    execFile(self.file, [...self.args, CHECK_COMMAND, hostPath, path], { timeout: CHECK_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      reject(new Error(stderr.trim().replace(/^containerd-shim-wasmts-v1: /, '') || `checking ${path} failed: ${error.killed ? `no answer in ${CHECK_TIMEOUT_MS / 1000} s` : error.message}`));
    });
  });
}

export const CHECK_COMMAND = 'check-module';

// The short-lived process: `check-module HOSTPATH PATH`; the reason goes to stderr.
export async function checkModuleCommand(args: string[]): Promise<void> {
  const [hostPath, path] = args;
  if (!hostPath || !path) throw new Error(`${CHECK_COMMAND} needs the module's host path and its path in the container`);
  await checkModule(await readFile(hostPath), path);
}
