// wasi:io (error, poll, streams) for a guest on the runner's main thread. Streams sit over a source
// or a sink: an fd read or written with blocking calls (stdio, files), or memory (HTTP bodies).
// A result's err travels as a thrown non-Error value: jco's glue lowers it as the err case, and
// treats a thrown Error as a trap.
import { readSync, writeSync } from 'node:fs';

export class IoError {
  readonly message: string;
  // The errno name behind it, for wasi:filesystem's filesystem-error-code.
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    this.message = message;
    this.code = code;
  }
  toDebugString(): string {
    return this.message;
  }
}

export type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };
export const CLOSED: StreamError = { tag: 'closed' };

export function failed(error: unknown): StreamError {
  const { message, code } = error as NodeJS.ErrnoException;
  return { tag: 'last-operation-failed', val: new IoError(message, code) };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

// What a pollable waits for.
export interface Readiness {
  ready(): boolean;
  // A monotonic-clock deadline, for pollables that become ready only with time.
  readonly deadline?: bigint;
  // For pollables that another thread makes ready: blocks until it may have happened, at most `ms`.
  wait?(ms: number): void;
}

const ALWAYS: Readiness = { ready: () => true };

export class Pollable {
  readonly readiness: Readiness;
  constructor(readiness: Readiness = ALWAYS) {
    this.readiness = readiness;
  }
  ready(): boolean {
    return this.readiness.ready();
  }
  block(): void {
    poll([this]);
  }
}

export const monotonicNow = (): bigint => process.hrtime.bigint();

// Blocks the thread until one pollable is ready. On the command path every source is ready or
// becomes ready with time; a pollable that can only be made ready by the event loop (a socket) is
// not one the synchronous host hands out.
export function poll(list: Pollable[]): Uint32Array {
  if (list.length === 0) throw new Error('wasi:io/poll.poll was given an empty list');
  for (;;) {
    const ready: number[] = [];
    let earliest: bigint | undefined;
    list.forEach((pollable, index) => {
      if (pollable.ready()) ready.push(index);
      const deadline = pollable.readiness.deadline;
      if (deadline !== undefined && (earliest === undefined || deadline < earliest)) earliest = deadline;
    });
    if (ready.length > 0) return Uint32Array.from(ready);
    const waiter = list.find((pollable) => pollable.readiness.wait)?.readiness;
    if (earliest === undefined && !waiter) throw new Error('wasi:io/poll.poll would wait forever: none of its pollables can become ready');
    const ms = earliest === undefined ? Infinity : Math.max(1, Math.ceil(Number(earliest - monotonicNow()) / 1e6));
    if (waiter) waiter.wait!(ms);
    else sleepMs(ms);
  }
}

export interface ByteSource {
  // Up to `max` bytes; empty when none are there yet; undefined at the end.
  read(max: number, blocking: boolean): Uint8Array | undefined;
  ready(): boolean;
}

export interface ByteSink {
  write(bytes: Uint8Array): void;
  // How much a write may hold now (check-write).
  capacity(): number;
  flush?(): void;
}

const MAX_READ = 1 << 20;

export class InputStream {
  readonly source: ByteSource;
  #closed = false;
  constructor(source: ByteSource) {
    this.source = source;
  }
  #read(len: bigint, blocking: boolean): Uint8Array {
    if (this.#closed) throw CLOSED;
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.source.read(Number(len > BigInt(MAX_READ) ? MAX_READ : len), blocking);
    } catch (error) {
      throw failed(error);
    }
    if (bytes === undefined) {
      this.#closed = true;
      throw CLOSED;
    }
    return bytes;
  }
  read(len: bigint): Uint8Array {
    return this.#read(len, false);
  }
  blockingRead(len: bigint): Uint8Array {
    return this.#read(len, true);
  }
  skip(len: bigint): bigint {
    return BigInt(this.#read(len, false).length);
  }
  blockingSkip(len: bigint): bigint {
    return BigInt(this.#read(len, true).length);
  }
  subscribe(): Pollable {
    return new Pollable({ ready: () => this.#closed || this.source.ready() });
  }
}

const CHECK_WRITE = 1n << 20n;

export class OutputStream {
  readonly sink: ByteSink;
  #error: StreamError | undefined;
  constructor(sink: ByteSink) {
    this.sink = sink;
  }
  #write(bytes: Uint8Array): void {
    if (this.#error) throw this.#error;
    try {
      this.sink.write(bytes);
    } catch (error) {
      // After a failure the stream is closed: later calls report closed.
      this.#error = CLOSED;
      throw (error as StreamError).tag ? error : failed(error);
    }
  }
  checkWrite(): bigint {
    if (this.#error) throw this.#error;
    return BigInt(Math.min(this.sink.capacity(), Number(CHECK_WRITE)));
  }
  write(contents: Uint8Array): void {
    this.#write(contents);
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.#write(contents);
    this.flush();
  }
  flush(): void {
    if (this.#error) throw this.#error;
    this.sink.flush?.();
  }
  blockingFlush(): void {
    this.flush();
  }
  subscribe(): Pollable {
    return new Pollable({ ready: () => this.#error !== undefined || this.sink.capacity() > 0 });
  }
  writeZeroes(len: bigint): void {
    this.#write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.blockingWriteAndFlush(new Uint8Array(Number(len)));
  }
  splice(source: InputStream, len: bigint): bigint {
    const bytes = source.read(len);
    this.#write(bytes);
    return BigInt(bytes.length);
  }
  blockingSplice(source: InputStream, len: bigint): bigint {
    const bytes = source.blockingRead(len);
    this.#write(bytes);
    return BigInt(bytes.length);
  }
}

// An fd read with blocking calls from `position` on (a file) or from wherever it is (a pipe).
export class FdSource implements ByteSource {
  readonly fd: number;
  #position: number | null;
  constructor(fd: number, position: number | null = null) {
    this.fd = fd;
    this.#position = position;
  }
  read(max: number): Uint8Array | undefined {
    const buffer = Buffer.allocUnsafe(max);
    for (;;) {
      try {
        const n = readSync(this.fd, buffer, 0, max, this.#position);
        if (n === 0 && max > 0) return undefined;
        if (this.#position !== null) this.#position += n;
        return buffer.subarray(0, n);
      } catch (error) {
        // A pipe someone made non-blocking: wait for data as a blocking read would.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        sleepMs(1);
      }
    }
  }
  ready(): boolean {
    return true;
  }
}

export class FdSink implements ByteSink {
  readonly fd: number;
  #position: number | null;
  constructor(fd: number, position: number | null = null) {
    this.fd = fd;
    this.#position = position;
  }
  write(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      try {
        const n = writeSync(this.fd, bytes, offset, bytes.length - offset, this.#position);
        offset += n;
        if (this.#position !== null) this.#position += n;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        sleepMs(1);
      }
    }
  }
  capacity(): number {
    return Number(CHECK_WRITE);
  }
}

// Bytes held in memory: a request or response body as it arrived, or one being written.
export class MemorySource implements ByteSource {
  readonly #chunks: Uint8Array[];
  #ended: () => boolean;
  constructor(chunks: Uint8Array[], ended: () => boolean = () => true) {
    this.#chunks = chunks;
    this.#ended = ended;
  }
  read(max: number): Uint8Array | undefined {
    const chunk = this.#chunks[0];
    if (!chunk) return this.#ended() ? undefined : new Uint8Array(0);
    if (chunk.length <= max) {
      this.#chunks.shift();
      return chunk;
    }
    this.#chunks[0] = chunk.subarray(max);
    return chunk.subarray(0, max);
  }
  ready(): boolean {
    return this.#chunks.length > 0 || this.#ended();
  }
}

// The parts of wasi:io as jco's glue looks them up, by interface name.
export const ioInterfaces = {
  'wasi:io/error': { Error: IoError },
  'wasi:io/poll': { Pollable, poll },
  'wasi:io/streams': { InputStream, OutputStream },
};
