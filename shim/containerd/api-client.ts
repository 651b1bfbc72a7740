// containerd's gRPC API on its -address socket, as the daemon needs it: unary calls and the content
// store's streamed reads, in a namespace (and under a lease) given as gRPC metadata.
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import * as api from '../protocol/gen/containerd_api_pb.ts';

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

  #metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('containerd-namespace', this.#namespace);
    if (this.#lease) metadata.set('containerd-lease', this.#lease);
    return metadata;
  }

  #unary<I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O, request: MessageInitShape<I>): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(path, (m: MessageShape<I>) => Buffer.from(toBinary(input, m)), (b: Buffer) => fromBinary(output, b), create(input, request), this.#metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => {
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

  // The blob's bytes as containerd streams them.
  async *read(digest: string): AsyncGenerator<Uint8Array> {
    const stream = this.#client.makeServerStreamRequest(
      '/containerd.services.content.v1.Content/Read',
      (m: api.ReadContentRequest) => Buffer.from(toBinary(api.ReadContentRequestSchema, m)),
      (b: Buffer) => fromBinary(api.ReadContentResponseSchema, b),
      create(api.ReadContentRequestSchema, { digest }),
      this.#metadata(),
      { deadline: Date.now() + 10 * 60_000 },
    );
    try {
      for await (const chunk of stream as AsyncIterable<api.ReadContentResponse>) yield chunk.data;
    } catch (error) {
      throw new ContainerdApiError('Read', error as grpc.ServiceError);
    } finally {
      // A reader that stopped early (a limit, a failed write) stops containerd's stream too.
      stream.cancel();
    }
  }

  async readAll(digest: string, limit: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.read(digest)) {
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
