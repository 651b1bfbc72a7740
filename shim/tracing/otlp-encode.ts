// Finished spans as an OTLP ExportTraceServiceRequest (the official opentelemetry-proto messages):
// the same bytes go out over http/protobuf and grpc.
import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { ExportTraceServiceRequestSchema } from '../protocol/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js';
import type { KeyValueSchema } from '../protocol/gen/opentelemetry/proto/common/v1/common_pb.js';
import { SpanFlags, Span_SpanKind, Status_StatusCode, type SpanSchema } from '../protocol/gen/opentelemetry/proto/trace/v1/trace_pb.js';
import type { Attributes, AttributeValue, SpanKind } from './api.ts';
import type { FinishedSpan } from './recording-tracer.ts';

export const SCOPE_NAME = 'containerd-shim-wasmts-v1';

const KINDS: Record<SpanKind, Span_SpanKind> = {
  internal: Span_SpanKind.INTERNAL,
  server: Span_SpanKind.SERVER,
  client: Span_SpanKind.CLIENT,
};

function anyValue(value: AttributeValue) {
  if (typeof value === 'string') return { case: 'stringValue' as const, value };
  if (typeof value === 'boolean') return { case: 'boolValue' as const, value };
  if (Number.isSafeInteger(value)) return { case: 'intValue' as const, value: BigInt(value) };
  return { case: 'doubleValue' as const, value };
}

function keyValues(attributes: Attributes): MessageInitShape<typeof KeyValueSchema>[] {
  const out = [];
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out.push({ key, value: { value: anyValue(value) } });
  return out;
}

function otlpSpan(span: FinishedSpan): MessageInitShape<typeof SpanSchema> {
  // Says whether the parent is remote, as OTLP 1.4+ carries it (SpanFlags).
  const remote = SpanFlags.CONTEXT_HAS_IS_REMOTE_MASK | (span.remoteParent ? SpanFlags.CONTEXT_IS_REMOTE_MASK : 0);
  return {
    traceId: span.context.traceId,
    spanId: span.context.spanId,
    parentSpanId: span.parentSpanId ?? new Uint8Array(0),
    traceState: span.tracestate,
    flags: (span.context.flags & SpanFlags.TRACE_FLAGS_MASK) | (span.parentSpanId ? remote : 0),
    name: span.name,
    kind: KINDS[span.kind],
    startTimeUnixNano: span.startNs,
    endTimeUnixNano: span.endNs,
    attributes: keyValues(span.attributes),
    status: span.error === undefined ? { code: Status_StatusCode.UNSET } : { code: Status_StatusCode.ERROR, message: span.error },
  };
}

export function encodeExport(resource: Attributes, spans: FinishedSpan[], scopeVersion: string): Uint8Array {
  return toBinary(ExportTraceServiceRequestSchema, create(ExportTraceServiceRequestSchema, {
    resourceSpans: [{
      resource: { attributes: keyValues(resource) },
      scopeSpans: [{ scope: { name: SCOPE_NAME, version: scopeVersion }, spans: spans.map(otlpSpan) }],
    }],
  }));
}
