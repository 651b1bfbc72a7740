// The process runc starts for a wasm container: PID 1 of the container. It owns the signals (a PID 1
// ignores any it has no handler for) and fd 0, and runs the guest on a worker (wasi-worker.ts).
import { fstatSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { GUEST_ENV_VAR, parseGuestConfig } from './guest.ts';

// Like a process with default signal actions: 128 + the signal number, as wasmtime does.
const TERMINATING_SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };
const STARTUP_FAILURE = 1;
const STDIN_BUFFER = 64 * 1024;

function fail(message: string): never {
  writeSync(2, `wasmts runner: ${message}\n`);
  process.exit(STARTUP_FAILURE);
}

// A pipe, FIFO or socket on fd 0 is read by this thread; a file or /dev/null the guest reads itself.
function stdinNeedsProxy(): boolean {
  try {
    const stats = fstatSync(0);
    return stats.isFIFO() || stats.isSocket();
  } catch {
    return false;
  }
}

function serveStdin(worker: Worker, control: SharedArrayBuffer): (want: number) => void {
  const state = new Int32Array(control, 0, 2);
  const buffer = new Uint8Array(control, 8);
  const chunks: Buffer[] = [];
  let ended = false;
  let failed = false;
  let pending = 0;
  let started = false;
  const serve = () => {
    if (pending === 0 || (chunks.length === 0 && !ended)) return;
    let copied = 0;
    while (copied < pending && chunks.length > 0) {
      const chunk = chunks[0]!;
      const take = Math.min(chunk.length, pending - copied);
      buffer.set(chunk.subarray(0, take), copied);
      copied += take;
      if (take === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(take);
    }
    pending = 0;
    Atomics.store(state, 1, copied === 0 && failed ? -1 : copied);
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
    if (chunks.length === 0) process.stdin.resume();
  };
  return (want) => {
    pending = want;
    if (!started) {
      started = true;
      process.stdin.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        process.stdin.pause();
        serve();
      });
      process.stdin.on('end', () => ((ended = true), serve()));
      process.stdin.on('error', () => ((ended = failed = true), serve()));
    }
    serve();
  };
}

export function runGuest(workerSource: { code: string } | { url: URL }): void {
  let config;
  try {
    config = parseGuestConfig(process.env[GUEST_ENV_VAR]);
  } catch (error) {
    fail((error as Error).message);
  }
  delete process.env[GUEST_ENV_VAR];
  for (const [signal, number] of Object.entries(TERMINATING_SIGNALS)) process.on(signal, () => process.exit(128 + number));
  const proxyStdin = stdinNeedsProxy();
  const control = new SharedArrayBuffer(8 + STDIN_BUFFER);
  const workerData = { module: config.module, args: config.args, env: config.env, proxyStdin, control };
  const worker = 'code' in workerSource
    ? new Worker(workerSource.code, { eval: true, workerData, stdout: false, stderr: false })
    : new Worker(workerSource.url, { workerData });
  const readStdin = serveStdin(worker, control);
  worker.on('message', (message: { exit?: number; read?: number }) => {
    if (message.read !== undefined) readStdin(message.read);
    if (message.exit !== undefined) process.exit(message.exit);
  });
  worker.on('error', (error) => fail(`cannot run ${config.module}: ${error.message}`));
}
