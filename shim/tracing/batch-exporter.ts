// Ended spans wait in a bounded queue and leave in batches, one export at a time, from a timer: a
// task call never waits on the collector. A collector that is down or slow costs the spans that
// overflow the queue, never memory or a stuck daemon; its failures are reported, not thrown.
import type { FinishedSpan } from './recording-tracer.ts';

export interface BatchOptions {
  send(spans: FinishedSpan[]): Promise<void>;
  // Told of every failed export and of spans dropped from a full queue; `first` for the first failure.
  onError(error: Error, first: boolean): void;
  maxQueue: number;
  maxBatch: number;
  delayMs: number;
}

export class BatchExporter {
  readonly #options: BatchOptions;
  #queue: FinishedSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #dropped = 0;
  #failed = false;

  constructor(options: BatchOptions) {
    this.#options = options;
  }

  add(span: FinishedSpan): void {
    if (this.#queue.length >= this.#options.maxQueue) {
      this.#dropped++;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#options.maxBatch) this.#schedule(0);
    else this.#schedule(this.#options.delayMs);
  }

  #schedule(delayMs: number): void {
    if (this.#sending) return;
    if (this.#timer && delayMs > 0) return;
    clearTimeout(this.#timer);
    // Unreferenced: pending spans never keep the daemon alive; Shutdown flushes them.
    this.#timer = setTimeout(() => void this.#sendNext(), delayMs).unref();
  }

  async #sendNext(): Promise<void> {
    this.#timer = undefined;
    if (this.#sending || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#options.maxBatch);
    this.#sending = this.#options.send(batch).catch((error: Error) => this.#fail(error));
    await this.#sending;
    this.#sending = undefined;
    if (this.#dropped > 0) {
      this.#fail(new Error(`${this.#dropped} spans dropped: the export queue (${this.#options.maxQueue}) was full; raise OTEL_BSP_MAX_QUEUE_SIZE if the collector keeps up`));
      this.#dropped = 0;
    }
    if (this.#queue.length > 0) this.#schedule(this.#queue.length >= this.#options.maxBatch ? 0 : this.#options.delayMs);
  }

  #fail(error: Error): void {
    this.#options.onError(error, !this.#failed);
    this.#failed = true;
  }

  // Sends what is queued, for at most `timeoutMs`: the daemon exits after this.
  async flush(timeoutMs: number): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A referenced timer: the daemon waits for it before it exits.
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        resolve();
      }, timeoutMs);
    });
    while (!expired && (this.#sending || this.#queue.length > 0)) await Promise.race([this.#sending ?? this.#sendNext(), deadline]);
    clearTimeout(timer);
  }
}
