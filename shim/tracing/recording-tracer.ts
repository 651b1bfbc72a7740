// The tracer installed when tracing is on: spans get ids and times, nest through AsyncLocalStorage,
// and go, once ended, to `record` (the batch exporter). A span whose caller does not sample its trace
// is not recorded, but its children keep the caller's context.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';
import type { Attributes, Span, SpanKind, SpanOptions, Tracer } from './api.ts';
import { formatTraceparent, parseTraceparent, type SpanContext } from './traceparent.ts';

const SAMPLED = 0x01;

export interface FinishedSpan {
  context: SpanContext;
  parentSpanId: Uint8Array | undefined;
  // Whether the parent came from another process (ttrpc metadata).
  remoteParent: boolean;
  tracestate: string;
  name: string;
  kind: SpanKind;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  error: string | undefined;
}

// Ids come from a pool filled a few KiB at a time: one randomFillSync per id costs ~10 us.
const pool = new Uint8Array(4096);
let used = pool.length;

function randomId(bytes: number): Uint8Array {
  for (;;) {
    if (used + bytes > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const id = pool.slice(used, (used += bytes));
    if (!id.every((b) => b === 0)) return id;
  }
}

// Wall-clock nanoseconds with the monotonic clock's resolution.
export function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class RecordingSpan implements Span {
  readonly #span: FinishedSpan;
  readonly #record: (span: FinishedSpan) => void;
  #ended = false;

  constructor(span: FinishedSpan, record: (span: FinishedSpan) => void) {
    this.#span = span;
    this.#record = record;
  }

  get context(): SpanContext {
    return this.#span.context;
  }

  get tracestate(): string {
    return this.#span.tracestate;
  }

  get traceparent(): string {
    return formatTraceparent(this.#span.context);
  }

  setAttributes(attributes: Attributes): void {
    Object.assign(this.#span.attributes, attributes);
  }

  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#span.endNs = nowNs();
    if (error !== undefined) this.#span.error = errorMessage(error);
    if (this.#span.context.flags & SAMPLED) this.#record(this.#span);
  }
}

export class RecordingTracer implements Tracer {
  readonly #active = new AsyncLocalStorage<RecordingSpan>();
  readonly #record: (span: FinishedSpan) => void;

  constructor(record: (span: FinishedSpan) => void) {
    this.#record = record;
  }

  startSpan(name: string, options: SpanOptions): RecordingSpan {
    const remote = options.remote ? parseTraceparent(options.remote.traceparent) : undefined;
    const local = remote ? undefined : this.#active.getStore();
    const parent = remote ?? local?.context;
    return new RecordingSpan({
      context: { traceId: parent?.traceId ?? randomId(16), spanId: randomId(8), flags: parent ? parent.flags : SAMPLED },
      parentSpanId: parent?.spanId,
      remoteParent: remote !== undefined,
      tracestate: remote ? (options.remote?.tracestate ?? '') : (local?.tracestate ?? ''),
      name,
      kind: options.kind ?? 'internal',
      startNs: nowNs(),
      endNs: 0n,
      attributes: { ...options.attributes },
      error: undefined,
    }, this.#record);
  }

  async inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
    const span = this.startSpan(name, options);
    try {
      const result = await this.#active.run(span, () => work(span));
      span.end();
      return result;
    } catch (error) {
      span.end(error);
      throw error;
    }
  }
}
