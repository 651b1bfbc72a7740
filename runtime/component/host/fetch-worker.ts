// Outgoing HTTP for a synchronous guest: Node's fetch runs on a worker thread (the main thread is
// inside the guest, waiting); answers come back over a MessageChannel read synchronously, and an
// Atomics counter wakes the waiting thread. Started on the first outgoing request only.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { FetchOutcome, FetchRequest, Fetcher } from './http.ts';

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, signal } = workerData;
const counter = new Int32Array(signal);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'proxy-connection']);
function errorCode(error) {
  const cause = error && error.cause;
  const code = cause && cause.code;
  if (error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return { tag: 'connection-timeout' };
  if (code === 'ECONNREFUSED') return { tag: 'connection-refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { tag: 'DNS-error', val: { rcode: undefined, infoCode: undefined } };
  if (code === 'ECONNRESET') return { tag: 'connection-terminated' };
  return { tag: 'internal-error', val: String((cause && cause.message) || (error && error.message) || error) };
}
port.on('message', async ({ id, request }) => {
  let outcome;
  try {
    const headers = request.headers.filter(([name]) => !HOP_BY_HOP.has(name));
    const response = await fetch(request.url, {
      method: request.method, headers, body: request.body, redirect: 'manual',
      signal: request.timeoutMs ? AbortSignal.timeout(request.timeoutMs) : undefined,
    });
    outcome = { status: response.status, headers: [...response.headers], body: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    outcome = { error: errorCode(error) };
  }
  port.postMessage({ id, outcome });
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
`;

export function workerFetcher(): Fetcher {
  let port: MessagePort | undefined;
  let counter: Int32Array | undefined;
  let next = 0;
  // The counter's value when messages were last read: a wait returns at once if it moved since.
  let seen = 0;
  const arrived = new Map<number, FetchOutcome>();
  const drain = () => {
    for (let message = receiveMessageOnPort(port!); message; message = receiveMessageOnPort(port!)) {
      const { id, outcome } = message.message as { id: number; outcome: FetchOutcome };
      arrived.set(id, outcome);
    }
  };
  return {
    start(request: FetchRequest): number {
      if (!port) {
        const channel = new MessageChannel();
        const signal = new SharedArrayBuffer(4);
        counter = new Int32Array(signal);
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: channel.port2, signal }, transferList: [channel.port2], env: {} });
        worker.unref();
        port = channel.port1;
        port.unref();
      }
      const id = next++;
      port.postMessage({ id, request });
      return id;
    },
    take(id: number): FetchOutcome | undefined {
      if (!port) return undefined;
      seen = Atomics.load(counter!, 0);
      drain();
      const outcome = arrived.get(id);
      arrived.delete(id);
      return outcome;
    },
    wait(ms: number): void {
      if (!counter) return;
      Atomics.wait(counter, 0, seen, ms === Infinity ? undefined : ms);
    },
  };
}
