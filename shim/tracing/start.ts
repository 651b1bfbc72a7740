// Loaded by the daemon only when an OTLP endpoint is set: installs the recording tracer with a batch
// exporter over http/protobuf or grpc. A failed export is logged once as a warning (then at debug)
// and never reaches a task call.
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { Logger } from '../log.ts';
import { installTracer, type Attributes } from './api.ts';
import { BatchExporter } from './batch-exporter.ts';
import { tracingConfig, type TracingConfig } from './config.ts';
import { httpSender } from './otlp-http.ts';
import { encodeExport } from './otlp-encode.ts';
import { RecordingTracer } from './recording-tracer.ts';

export interface Tracing {
  // Sends what is queued (for at most `timeoutMs`) and closes the exporter.
  shutdown(timeoutMs: number): Promise<void>;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm32', ia32: 'x86', ppc64: 'ppc64', s390x: 's390x' };

export function resourceAttributes(config: TracingConfig, version: string, extra: Attributes): Attributes {
  return {
    ...config.resource,
    ...extra,
    'service.name': config.serviceName,
    'service.version': version,
    'process.pid': process.pid,
    'process.executable.name': basename(process.execPath),
    'process.executable.path': process.execPath,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'host.name': hostname(),
    'host.arch': ARCH[process.arch] ?? process.arch,
    'os.type': process.platform,
  };
}

// Throws for settings it cannot honour: the daemon then runs without tracing.
export async function startTracing(env: NodeJS.ProcessEnv, version: string, log: Logger, extra: Attributes): Promise<Tracing | undefined> {
  const config = tracingConfig(env);
  if (!config) return undefined;
  const resource = resourceAttributes(config, version, extra);
  // grpc-js is loaded for grpc only: http/protobuf needs nothing but fetch.
  const transport = config.protocol === 'grpc' ? (await import('./otlp-grpc.ts')).grpcSender(config) : { send: httpSender(config), close: () => {} };
  const exporter = new BatchExporter({
    ...config.batch,
    send: (spans) => transport.send(encodeExport(resource, spans, version)),
    onError: (error, first) => {
      if (first) log.warn('exporting spans failed (spans are dropped until the collector answers; check OTEL_EXPORTER_OTLP_ENDPOINT in containerd\'s environment); later failures are logged at debug', { error: error.message, endpoint: config.endpoint });
      else log.debug('exporting spans failed', { error: error.message });
    },
  });
  installTracer(new RecordingTracer((span) => exporter.add(span)));
  log.info('tracing on', { endpoint: config.endpoint, protocol: config.protocol, service: config.serviceName });
  return {
    async shutdown(timeoutMs) {
      await exporter.flush(timeoutMs);
      transport.close();
    },
  };
}
