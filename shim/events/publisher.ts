// One queue of events, forwarded to containerd in order by one loop. A failed send reconnects and
// retries with a growing pause for about 15 s (containerd may be restarting), then the event is
// dropped and logged. publish() resolves once the event was delivered or dropped, so a TaskExit is out before
// Wait returns.
import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { AnySchema, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ForwardRequestSchema } from '../protocol/gen/events_service_pb.ts';
import type { Logger } from '../log.ts';

export type Transport = (forwardRequest: Uint8Array) => Promise<void>;

interface Queued {
  topic: string;
  payload: Uint8Array;
  done: () => void;
}

export interface PublisherOptions {
  namespace: string;
  transport: Transport;
  log: Logger;
  attempts?: number;
  backoffMs?: number;
}

export class EventPublisher {
  readonly #queue: Queued[] = [];
  readonly #options: Required<PublisherOptions>;
  #running = false;

  constructor(options: PublisherOptions) {
    this.#options = { attempts: 6, backoffMs: 1000, ...options };
  }

  publish<T extends DescMessage>(topic: string, schema: T, event: MessageInitShape<T>): Promise<void> {
    const any = create(AnySchema, { typeUrl: schema.typeName, value: toBinary(schema, create(schema, event)) });
    const request = create(ForwardRequestSchema, {
      envelope: { timestamp: timestampFromDate(new Date()), namespace: this.#options.namespace, topic, event: any },
    });
    return new Promise((done) => {
      this.#queue.push({ topic, payload: toBinary(ForwardRequestSchema, request), done });
      if (!this.#running) void this.#forward();
    });
  }

  // Resolves when everything queued so far has been delivered or dropped.
  async drain(): Promise<void> {
    const last = this.#queue.at(-1);
    if (!last) return;
    await new Promise<void>((resolve) => {
      const done = last.done;
      last.done = () => (done(), resolve());
    });
  }

  async #forward(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0) {
      const item = this.#queue[0]!;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#options.transport(item.payload);
          break;
        } catch (error) {
          if (attempt >= this.#options.attempts) {
            this.#options.log.error('dropping event: containerd did not take it', { topic: item.topic, attempts: attempt, error: (error as Error).message });
            break;
          }
          // 1, 2, 3, 4, 5 s: about 15 s in all, long enough for containerd to restart.
          await new Promise((resolve) => setTimeout(resolve, this.#options.backoffMs * attempt));
        }
      }
      this.#queue.shift();
      item.done();
    }
    this.#running = false;
  }
}
