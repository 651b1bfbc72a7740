// A CRI client for tests, the way the kubelet talks to containerd: gRPC over containerd's socket,
// messages from our own subset of the CRI protobuf.
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { DescMethodUnary } from '@bufbuild/protobuf';
import { ImageService, RuntimeService } from './gen/cri_pb.ts';

export { ImageService, RuntimeService };

export class CriError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export class CriClient {
  readonly #client: grpc.Client;

  constructor(socket: string) {
    this.#client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  }

  call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, request: MessageInitShape<I>, timeoutMs = 120_000): Promise<MessageShape<O>> {
    const path = `/${method.parent.typeName}/${method.name}`;
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        path,
        (message: MessageShape<I>) => Buffer.from(toBinary(method.input, message)),
        (bytes: Buffer) => fromBinary(method.output, bytes),
        create(method.input, request),
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error) reject(new CriError(error.code ?? 2, `${method.name}: ${error.details || error.message}`));
          else resolve(response!);
        },
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}
