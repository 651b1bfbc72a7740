// The exporter's settings from the standard OpenTelemetry variables in containerd's environment
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), which the
// shim inherits; containerd 2.x turns its own tracing on from the same variables.
import type { Attributes } from './api.ts';

export const DEFAULT_SERVICE_NAME = 'containerd-shim-wasmts-v1';

export interface TracingConfig {
  protocol: 'http/protobuf' | 'grpc';
  // http/protobuf: the URL spans are POSTed to; grpc: the collector's URL (scheme, host, port).
  endpoint: string;
  headers: Record<string, string>;
  timeoutMs: number;
  serviceName: string;
  // OTEL_RESOURCE_ATTRIBUTES.
  resource: Attributes;
  batch: { maxQueue: number; maxBatch: number; delayMs: number };
}

type Env = Record<string, string | undefined>;

// `a=1,b=x%20y`: the format of OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES.
export function parseKeyValueList(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (value ?? '').split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) continue;
    const key = item.slice(0, at).trim();
    try {
      out[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      out[key] = item.slice(at + 1).trim();
    }
  }
  return out;
}

const positive = (value: string | undefined, fallback: number) => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

// Undefined when no endpoint is set or tracing is switched off; throws for settings it cannot honour.
export function tracingConfig(env: Env): TracingConfig | undefined {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!base && !traces) return undefined;
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (env.OTEL_TRACES_EXPORTER && env.OTEL_TRACES_EXPORTER !== 'otlp') {
    throw new Error(`OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER} is not supported by wasmts: unset it or set it to otlp`);
  }
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'grpc') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported by wasmts: use http/protobuf or grpc`);
  }
  // The signal's own endpoint is used as it is; the general one gets the signal's path (http only).
  let endpoint = traces || (protocol === 'grpc' ? base! : `${base!.replace(/\/+$/, '')}/v1/traces`);
  // gRPC endpoints are often written host:port.
  if (protocol === 'grpc' && !endpoint.includes('://')) endpoint = `http://${endpoint}`;
  try {
    new URL(endpoint);
  } catch {
    throw new Error(`the OTLP endpoint ${JSON.stringify(endpoint)} is not a URL: set OTEL_EXPORTER_OTLP_ENDPOINT like http://collector:4318 (grpc: http://collector:4317)`);
  }
  const resource: Attributes = parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES);
  // containerd 2.x sets OTEL_SERVICE_NAME=containerd in its own environment when it is unset, and
  // shims inherit that: the shim's spans would pass for containerd's.
  const serviceName = env.OTEL_SERVICE_NAME === 'containerd' ? undefined : env.OTEL_SERVICE_NAME;
  return {
    protocol,
    endpoint,
    headers: { ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    timeoutMs: positive(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT, 10_000),
    serviceName: serviceName || (resource['service.name'] as string | undefined) || DEFAULT_SERVICE_NAME,
    resource,
    batch: {
      maxQueue: positive(env.OTEL_BSP_MAX_QUEUE_SIZE, 2048),
      maxBatch: positive(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512),
      delayMs: positive(env.OTEL_BSP_SCHEDULE_DELAY, 5000),
    },
  };
}
