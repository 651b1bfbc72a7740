// Routes a decoded request to its handler and turns every outcome into a Response: errors become
// wire codes here (through toStatus) and nowhere else.
import { fromBinary, toBinary, type DescMessage, type MessageShape, type MessageInitShape, create } from '@bufbuild/protobuf';
import { Code, ShimError, toStatus } from '../errors.ts';
import { decodeRequest, encodeResponse } from './codec.ts';

// What a handler knows of its call besides the payload, as containerd's ttrpc server gives it: the
// metadata (containerd sends its namespace as `containerd-namespace-ttrpc`), and a signal that aborts
// when the request's deadline passes or its connection goes.
export interface CallContext {
  service: string;
  method: string;
  metadata: Map<string, string[]>;
  namespace: string;
  signal: AbortSignal;
}

export const NAMESPACE_METADATA = 'containerd-namespace-ttrpc';

export type Handler = (payload: Uint8Array, context: CallContext) => Promise<Uint8Array>;

export class Router {
  readonly #handlers = new Map<string, Handler>();

  add(service: string, method: string, handler: Handler): void {
    this.#handlers.set(`${service}/${method}`, handler);
  }

  lookup(service: string, method: string): Handler | undefined {
    return this.#handlers.get(`${service}/${method}`);
  }
}

// Wraps a typed function as a byte handler: decode the request message, encode the reply message.
export function unary<I extends DescMessage, O extends DescMessage>(
  input: I,
  output: O,
  fn: (request: MessageShape<I>, context: CallContext) => Promise<MessageInitShape<O>> | MessageInitShape<O>,
): Handler {
  return async (payload, context) => {
    let request: MessageShape<I>;
    try {
      request = fromBinary(input, payload);
    } catch (error) {
      throw new ShimError(Code.invalidArgument, `malformed ${input.typeName}: ${(error as Error).message}`);
    }
    return toBinary(output, create(output, await fn(request, context)));
  };
}

// `connection` aborts when the connection the request came on goes.
export async function dispatch(router: Router, requestBytes: Uint8Array, connection: AbortSignal = new AbortController().signal): Promise<Uint8Array> {
  try {
    let request;
    try {
      request = decodeRequest(requestBytes);
    } catch (error) {
      throw new ShimError(Code.invalidArgument, `malformed ttrpc request: ${(error as Error).message}`);
    }
    const handler = router.lookup(request.service, request.method);
    if (!handler) throw new ShimError(Code.unimplemented, `${request.service}/${request.method} is not implemented by this shim`);
    const metadata = new Map<string, string[]>();
    for (const { key, value } of request.metadata) metadata.set(key, [...(metadata.get(key) ?? []), value]);
    const timeoutMs = Number(request.timeoutNano / 1_000_000n);
    const signal = timeoutMs > 0 ? AbortSignal.any([connection, AbortSignal.timeout(timeoutMs)]) : connection;
    return encodeResponse({ payload: await handler(request.payload, { service: request.service, method: request.method, metadata, namespace: metadata.get(NAMESPACE_METADATA)?.[0] ?? '', signal }) });
  } catch (error) {
    return encodeResponse(toStatus(error));
  }
}
