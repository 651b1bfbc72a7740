import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary } from '@bufbuild/protobuf';
import { ExportTraceServiceRequestSchema } from '../protocol/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js';
import { Span_SpanKind, Status_StatusCode } from '../protocol/gen/opentelemetry/proto/trace/v1/trace_pb.js';
import { encodeExport, SCOPE_NAME } from './otlp-encode.ts';
import type { FinishedSpan } from './recording-tracer.ts';

const span = (overrides: Partial<FinishedSpan>): FinishedSpan => ({
  context: { traceId: new Uint8Array(16).fill(0xab), spanId: new Uint8Array(8).fill(0xcd), flags: 1 },
  parentSpanId: undefined,
  remoteParent: false,
  tracestate: '',
  name: 'containerd.task.v2.Task/Create',
  kind: 'server',
  startNs: 1_700_000_000_123_456_789n,
  endNs: 1_700_000_000_223_456_789n,
  attributes: {},
  error: undefined,
  ...overrides,
});

test('spans decode with the official OTLP messages as they were recorded', () => {
  const bytes = encodeExport({ 'service.name': 'containerd-shim-wasmts-v1', 'process.pid': 42 }, [
    span({ parentSpanId: new Uint8Array(8).fill(0xef), remoteParent: true, tracestate: 'k=v', attributes: { 'container.id': 'c1', 'wasmts.layer.cached': false, ratio: 0.5, skipped: undefined } }),
    span({ name: 'component transpile', kind: 'internal', error: 'not a component' }),
  ], '0.1.0');
  const request = fromBinary(ExportTraceServiceRequestSchema, bytes);
  const resource = request.resourceSpans[0]!;
  assert.equal(resource.resource!.attributes.map((a) => [a.key, a.value!.value.value]), [['service.name', 'containerd-shim-wasmts-v1'], ['process.pid', 42n]]);
  const scope = resource.scopeSpans[0]!;
  assert.equal([scope.scope!.name, scope.scope!.version], [SCOPE_NAME, '0.1.0']);
  const [create, transpile] = scope.spans as [typeof scope.spans[0], typeof scope.spans[0]];
  assert.is(Buffer.from(create.traceId).toString('hex'), 'ab'.repeat(16));
  assert.is(Buffer.from(create.spanId).toString('hex'), 'cd'.repeat(8));
  assert.is(Buffer.from(create.parentSpanId).toString('hex'), 'ef'.repeat(8));
  assert.is(create.traceState, 'k=v');
  // Sampled, and the parent is known to be remote (SpanFlags 0x100 | 0x200).
  assert.is(create.flags, 0x301);
  assert.is(create.kind, Span_SpanKind.SERVER);
  assert.is(create.startTimeUnixNano, 1_700_000_000_123_456_789n);
  assert.is(create.endTimeUnixNano, 1_700_000_000_223_456_789n);
  assert.equal(create.attributes.map((a) => [a.key, a.value!.value.case, a.value!.value.value]), [
    ['container.id', 'stringValue', 'c1'],
    ['wasmts.layer.cached', 'boolValue', false],
    ['ratio', 'doubleValue', 0.5],
  ]);
  assert.is(create.status!.code, Status_StatusCode.UNSET);
  assert.is(transpile.parentSpanId.length, 0);
  assert.is(transpile.flags, 1);
  assert.is(transpile.kind, Span_SpanKind.INTERNAL);
  assert.equal([transpile.status!.code, transpile.status!.message], [Status_StatusCode.ERROR, 'not a component']);
});

test.run();
