// containerd's gRPC API on its -address socket, as the daemon needs it: unary calls and the content
// store's streamed reads, in a namespace (and under a lease) given as gRPC metadata.
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import * as api from '../protocol/gen/containerd_api_pb.ts';
import { startSpan, type Attributes, type Span } from '../tracing/api.ts';

const CALL_TIMEOUT_MS = 30_000;
// Blobs stream in 1 MiB chunks; a guest can be far larger than grpc-js's 4 MiB default.
const MAX_MESSAGE = 16 << 20;

export class ContainerdApiError extends Error {
  override name = 'ContainerdApiError';
  readonly code: number;
  constructor(method: string, error: grpc.ServiceError) {
    super(`${method}: ${error.details || error.message}`, { cause: error });
    this.code = error.code;
  }
}

export class ContainerdApi {
  readonly #client: grpc.Client;
  readonly #namespace: string;
  #lease = '';

  constructor(socket: string, namespace: string) {
    this.#client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': MAX_MESSAGE });
    this.#namespace = namespace;
  }

  // containerd 2.x's gRPC server reads `traceparent`: its spans for this call join ours.
  #metadata(span: Span): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('containerd-namespace', this.#namespace);
    if (this.#lease) metadata.set('containerd-lease', this.#lease);
    if (span.traceparent) metadata.set('traceparent', span.traceparent);
    return metadata;
  }

  // A client span named as containerd's otelgrpc names its server span (`containerd.services.images.v1.Images/Get`).
  #span(path: string, attributes: Attributes = {}): Span {
    const [service, method] = path.slice(1).split('/') as [string, string];
    return startSpan(path.slice(1), { kind: 'client', attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method, 'containerd.namespace': this.#namespace, ...attributes } });
  }

  #unary<I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O, request: MessageInitShape<I>): Promise<MessageShape<O>> {
    const span = this.#span(path);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(path, (m: MessageShape<I>) => Buffer.from(toBinary(input, m)), (b: Buffer) => fromBinary(output, b), create(input, request), this.#metadata(span), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => {
        span.end(error ?? undefined);
        if (error) reject(new ContainerdApiError(path.slice(path.lastIndexOf('.') + 1), error));
        else resolve(response!);
      });
    });
  }

  async containerImage(id: string): Promise<string> {
    const response = await this.#unary('/containerd.services.containers.v1.Containers/Get', api.GetContainerRequestSchema, api.GetContainerResponseSchema, { id });
    return response.container?.image ?? '';
  }

  async imageTarget(name: string): Promise<api.Descriptor> {
    const response = await this.#unary('/containerd.services.images.v1.Images/Get', api.GetImageRequestSchema, api.GetImageResponseSchema, { name });
    if (!response.image?.target) throw new Error(`image ${name} has no target`);
    return response.image.target;
  }

  // A lease holding `digests` for as long as the reads take; it expires by itself if we die.
  async lease(id: string, digests: string[], ttlMs: number): Promise<() => Promise<void>> {
    const labels = { 'containerd.io/gc.expire': new Date(Date.now() + ttlMs).toISOString() };
    await this.#unary('/containerd.services.leases.v1.Leases/Create', api.CreateLeaseRequestSchema, api.CreateLeaseResponseSchema, { id, labels });
    this.#lease = id;
    for (const digest of digests) {
      await this.#unary('/containerd.services.leases.v1.Leases/AddResource', api.AddResourceRequestSchema, EmptySchema, { id, resource: { id: digest, type: 'content' } });
    }
    return async () => {
      this.#lease = '';
      await this.#unary('/containerd.services.leases.v1.Leases/Delete', api.DeleteLeaseRequestSchema, EmptySchema, { id });
    };
  }

  // The blob's bytes as containerd streams them; `blob` says what it is (manifest, config, layer).
  async *read(digest: string, blob: string): AsyncGenerator<Uint8Array> {
    const path = '/containerd.services.content.v1.Content/Read';
    const span = this.#span(path, { 'oci.blob': blob, 'oci.digest': digest });
    let bytes = 0;
    const stream = this.#client.makeServerStreamRequest(
      path,
      (m: api.ReadContentRequest) => Buffer.from(toBinary(api.ReadContentRequestSchema, m)),
      (b: Buffer) => fromBinary(api.ReadContentResponseSchema, b),
      create(api.ReadContentRequestSchema, { digest }),
      this.#metadata(span),
      { deadline: Date.now() + 10 * 60_000 },
    );
    let failure: unknown;
    try {
      for await (const chunk of stream as AsyncIterable<api.ReadContentResponse>) {
        bytes += chunk.data.length;
        yield chunk.data;
      }
    } catch (error) {
      failure = new ContainerdApiError('Read', error as grpc.ServiceError);
      throw failure;
    } finally {
      // A reader that stopped early (a limit, a failed write) stops containerd's stream too.
      stream.cancel();
      span.setAttributes({ 'oci.bytes': bytes });
      span.end(failure);
    }
  }

  async readAll(digest: string, limit: number, blob: string): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.read(digest, blob)) {
      size += chunk.length;
      if (size > limit) throw new Error(`blob ${digest} is larger than ${limit} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  close(): void {
    this.#client.close();
  }
}
