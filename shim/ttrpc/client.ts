// A unary ttrpc client: used to publish events to containerd.
import net from 'node:net';
import { Code, ShimError, type CodeValue } from '../errors.ts';
import { decodeResponse, encodeRequest } from './codec.ts';
import { encodeFrame, FrameDecoder, FrameType } from './frame.ts';

interface Pending {
  resolve: (payload: Uint8Array) => void;
  reject: (error: Error) => void;
}

export class TtrpcClient {
  readonly #socket: net.Socket;
  readonly #pending = new Map<number, Pending>();
  #nextStreamId = 1;
  #closed: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) {
        if (!('frame' in item) || item.frame.type !== FrameType.response) continue;
        const pending = this.#pending.get(item.frame.streamId);
        if (!pending) continue;
        this.#pending.delete(item.frame.streamId);
        const result = decodeResponse(item.frame.payload);
        if ('payload' in result) pending.resolve(result.payload);
        else pending.reject(new ShimError(result.code as CodeValue, result.message));
      }
    });
    const fail = (error?: Error) => {
      this.#closed = error ?? new ShimError(Code.unavailable, 'ttrpc connection closed');
      for (const pending of this.#pending.values()) pending.reject(this.#closed);
      this.#pending.clear();
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  static connect(path: string, timeoutMs = 5000): Promise<TtrpcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      const timer = setTimeout(() => socket.destroy(new Error(`connecting to ${path} timed out`)), timeoutMs);
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(new TtrpcClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  call(service: string, method: string, payload: Uint8Array, timeoutMs = 5000): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(this.#closed);
    const streamId = this.#nextStreamId;
    this.#nextStreamId += 2;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(streamId);
        reject(new ShimError(Code.deadlineExceeded, `${service}/${method} got no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(streamId, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      const request = encodeRequest(service, method, payload, BigInt(timeoutMs) * 1_000_000n);
      this.#socket.write(encodeFrame({ streamId, type: FrameType.request, flags: 0, payload: request }));
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
