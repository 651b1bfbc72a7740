// The process runc starts for a wasm container (its PID 1): runs the module with node:wasi on the
// main thread and exits with its code. Signals need nothing here: WASI has none, so the shim delivers
// a terminating signal to a wasm container as SIGKILL and reports 128+signal itself.
import { readFileSync, writeSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { parseGuestConfig } from './guest.ts';

const STARTUP_FAILURE = 1;
// A trap ends the guest as an abort would end a native program: 128 + SIGABRT.
export const TRAP_EXIT_CODE = 134;

function fail(message: string): never {
  writeSync(2, `wasmts runner: ${message}\n`);
  process.exit(STARTUP_FAILURE);
}

export function envObject(entries: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

export function runGuest(guestFile: string | undefined): never {
  if (!guestFile) fail('no guest config given: the runner is started by containerd-shim-wasmts-v1 inside a container, not by hand');
  let config;
  try {
    config = parseGuestConfig(readFileSync(guestFile, 'utf8'), guestFile);
  } catch (error) {
    fail((error as Error).message);
  }
  let instance: WebAssembly.Instance;
  let wasi: WASI;
  try {
    wasi = new WASI({ version: 'preview1', args: config.args, env: envObject(config.env), preopens: { '/': '/' }, returnOnExit: true });
    const module = new WebAssembly.Module(readFileSync(config.module));
    instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
  } catch (error) {
    fail(`cannot start ${config.module}: ${(error as Error).message}`);
  }
  let code: number;
  try {
    code = wasi.start(instance);
  } catch (error) {
    // V8 reports a wasm stack overflow as a RangeError; it is a trap like any other.
    if (!(error instanceof WebAssembly.RuntimeError || error instanceof RangeError)) fail(`${config.module} failed: ${(error as Error).message}`);
    writeSync(2, `wasm trap: ${error.stack ?? error.message}\n`);
    code = TRAP_EXIT_CODE;
  }
  process.exit(code);
}
