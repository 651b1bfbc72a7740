// Runs the guest on a worker thread so the runner's main thread stays free to act on signals.
// Self-contained (Node built-ins only): the single executable evaluates it from an embedded asset.
// Calls that would block the thread in the kernel (a read of a pipe on fd 0, a clock sleep) are
// served with Atomics.wait instead, because a thread blocked in a syscall cannot be terminated and
// would hold the process past SIGTERM.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync, writeSync } from 'node:fs';
import { WASI } from 'node:wasi';

interface WorkerInput {
  module: string;
  args: string[];
  env: string[];
  proxyStdin: boolean;
  control: SharedArrayBuffer;
}

const TRAP_EXIT_CODE = 134;
const ERRNO_SUCCESS = 0;
const ERRNO_IO = 29;
const EVENTTYPE_CLOCK = 0;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;

const input = workerData as WorkerInput;
const control = new Int32Array(input.control, 0, 2);
const buffer = new Uint8Array(input.control, 8);

function envObject(entries: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

let memory: WebAssembly.Memory | undefined;
const view = () => new DataView(memory!.buffer);

function readStdin(iovs: number, iovsLength: number, nreadOut: number): number {
  let capacity = 0;
  for (let i = 0; i < iovsLength; i++) capacity += view().getUint32(iovs + i * 8 + 4, true);
  const want = Math.min(capacity, buffer.length);
  if (want > 0) {
    Atomics.store(control, 0, 0);
    parentPort!.postMessage({ read: want });
    Atomics.wait(control, 0, 0);
  }
  const got = want > 0 ? Atomics.load(control, 1) : 0;
  if (got < 0) return ERRNO_IO;
  const bytes = new Uint8Array(memory!.buffer);
  let copied = 0;
  for (let i = 0; i < iovsLength && copied < got; i++) {
    const base = view().getUint32(iovs + i * 8, true);
    const length = Math.min(view().getUint32(iovs + i * 8 + 4, true), got - copied);
    bytes.set(buffer.subarray(copied, copied + length), base);
    copied += length;
  }
  view().setUint32(nreadOut, copied, true);
  return ERRNO_SUCCESS;
}

function clockNow(id: number): bigint {
  return id === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
}

// Only subscriptions that are all clocks are served here; anything with an fd goes to node:wasi.
function pollClocks(subscriptions: number, events: number, count: number, neventsOut: number): number | undefined {
  const deadlines: { userdata: bigint; wait: bigint }[] = [];
  for (let i = 0; i < count; i++) {
    const at = subscriptions + i * SUBSCRIPTION_SIZE;
    if (view().getUint8(at + 8) !== EVENTTYPE_CLOCK) return undefined;
    const clock = view().getUint32(at + 16, true);
    const timeout = view().getBigUint64(at + 24, true);
    const absolute = (view().getUint16(at + 40, true) & 1) === 1;
    deadlines.push({ userdata: view().getBigUint64(at, true), wait: absolute ? timeout - clockNow(clock) : timeout });
  }
  const shortest = deadlines.reduce((min, d) => (d.wait < min ? d.wait : min), deadlines[0]?.wait ?? 0n);
  if (shortest > 0n) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(shortest) / 1e6);
  let written = 0;
  for (const deadline of deadlines) {
    if (deadline.wait > shortest) continue;
    const at = events + written * EVENT_SIZE;
    for (let b = 0; b < EVENT_SIZE; b++) view().setUint8(at + b, 0);
    view().setBigUint64(at, deadline.userdata, true);
    view().setUint8(at + 10, EVENTTYPE_CLOCK);
    written++;
  }
  view().setUint32(neventsOut, written, true);
  return ERRNO_SUCCESS;
}

function run(): number {
  const wasi = new WASI({
    version: 'preview1',
    args: input.args,
    env: envObject(input.env),
    preopens: { '/': '/' },
    returnOnExit: true,
  });
  const imports = wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, (...args: number[]) => number> };
  const preview1 = imports.wasi_snapshot_preview1;
  const fdRead = preview1.fd_read!;
  const pollOneoff = preview1.poll_oneoff!;
  if (input.proxyStdin) preview1.fd_read = (fd, iovs, length, nread) => (fd === 0 ? readStdin(iovs, length, nread) : fdRead(fd, iovs, length, nread));
  preview1.poll_oneoff = (subscriptions, events, count, nevents) =>
    pollClocks(subscriptions, events, count, nevents) ?? pollOneoff(subscriptions, events, count, nevents);
  const module = new WebAssembly.Module(readFileSync(input.module));
  const instance = new WebAssembly.Instance(module, imports as unknown as WebAssembly.Imports);
  memory = instance.exports.memory as WebAssembly.Memory;
  try {
    return wasi.start(instance);
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    writeSync(2, `wasm trap: ${error.stack ?? error.message}\n`);
    return TRAP_EXIT_CODE;
  }
}

parentPort!.postMessage({ exit: run() });
