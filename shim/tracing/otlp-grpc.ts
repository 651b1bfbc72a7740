// OTLP/gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc): TraceService/Export with the same protobuf bytes,
// on the @grpc/grpc-js the daemon already carries for containerd's API.
import * as grpc from '@grpc/grpc-js';
import type { TracingConfig } from './config.ts';

const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export function grpcSender(config: TracingConfig): { send: (body: Uint8Array) => Promise<void>; close: () => void } {
  const url = new URL(config.endpoint);
  const credentials = url.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  const client = new grpc.Client(`${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 4317)}`, credentials);
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(config.headers)) metadata.set(key.toLowerCase(), value);
  const send = (body: Uint8Array) => new Promise<void>((resolve, reject) => {
    client.makeUnaryRequest(EXPORT, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, body, metadata, { deadline: Date.now() + config.timeoutMs }, (error) => {
      if (error) reject(new Error(`the OTLP endpoint ${config.endpoint} (grpc) failed the export: ${error.details || error.message}`));
      else resolve();
    });
  });
  return { send, close: () => client.close() };
}
