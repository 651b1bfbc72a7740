// The process runc starts for a wasm container (its PID 1): runs the guest with the engine the shim
// chose at Create, on the main thread, and exits with its code. Signals need nothing here: WASI has
// none, so the shim delivers a terminating signal to a wasm container as SIGKILL and reports
// 128+signal itself. The runner's exit status goes to the descriptor the shim named (STATUS_FD),
// since the shim is not the runner's parent.
import { readFileSync, writeSync } from 'node:fs';
import { parseGuestConfig, type GuestConfig } from './guest.ts';

export const STARTUP_FAILURE = 1;
// A trap ends the guest as an abort would end a native program: 128 + SIGABRT.
export const TRAP_EXIT_CODE = 134;

export function fail(message: string): never {
  writeSync(2, `wasmts runner: ${message}\n`);
  process.exit(STARTUP_FAILURE);
}

// V8 reports a wasm stack overflow as a RangeError; it is a trap like any other.
export function isTrap(error: unknown): error is Error {
  return error instanceof WebAssembly.RuntimeError || error instanceof RangeError;
}

export function trapExit(error: Error): never {
  writeSync(2, `wasm trap: ${error.stack ?? error.message}\n`);
  process.exit(TRAP_EXIT_CODE);
}

export function envObject(entries: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

// Every way out of Node but a signal runs 'exit' handlers: process.exit, the end of the event loop,
// an uncaught error.
function reportStatusTo(descriptor: string | undefined): void {
  const fd = Number(descriptor);
  if (descriptor === undefined || !Number.isInteger(fd) || fd < 3) return;
  process.on('exit', (code) => {
    try {
      writeSync(fd, `${code}\n`);
    } catch {
      // Nobody holds the other end: nobody is waiting to hear.
    }
  });
}

export async function runGuest(guestFile: string | undefined, statusFd?: string): Promise<void> {
  reportStatusTo(statusFd);
  if (!guestFile) fail('no guest config given: the runner is started by containerd-shim-wasmts-v1 inside a container, not by hand');
  let config: GuestConfig;
  try {
    config = parseGuestConfig(readFileSync(guestFile, 'utf8'), guestFile);
  } catch (error) {
    fail((error as Error).message);
  }
  if (config.engine === 'component-command') return (await import('./engines/component-command.ts')).runCommand(config);
  if (config.engine === 'component-http') return (await import('./engines/component-http.ts')).runHttpServer(config);
  return (await import('./engines/preview1.ts')).runPreview1(config);
}
