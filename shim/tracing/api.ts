// What the rest of the daemon sees of tracing: spans around work, and nothing more. Until a tracer
// is installed (only when an OTLP endpoint is set: shim/tracing/start.ts) every call here runs the
// work as it is; the exporter, its encoder and AsyncLocalStorage are never loaded. One tracer per
// process, installed once, so that spans can be opened at any layer (task calls, the component
// cache, containerd's content store) without threading a tracer through every constructor.

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue | undefined>;
export type SpanKind = 'internal' | 'server' | 'client';

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  // A caller's W3C trace context (ttrpc metadata): the span joins that trace. Without it a span is
  // a child of the span it runs in, or starts a trace.
  remote?: { traceparent: string; tracestate?: string };
}

export interface Span {
  setAttributes(attributes: Attributes): void;
  // This span as a W3C traceparent, for calls it makes to others; undefined when nothing records.
  readonly traceparent: string | undefined;
  // Ends the span; an error sets its status to ERROR with the error's message.
  end(error?: unknown): void;
}

export interface Tracer {
  startSpan(name: string, options: SpanOptions): Span;
  // Runs `work` with its span as the parent of the spans started inside it.
  inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T>;
}

const NO_SPAN: Span = { setAttributes() {}, traceparent: undefined, end() {} };

const NO_TRACER: Tracer = {
  startSpan: () => NO_SPAN,
  inSpan: (_name, _options, work) => work(NO_SPAN),
};

let tracer = NO_TRACER;

export function installTracer(installed: Tracer): void {
  tracer = installed;
}

export function startSpan(name: string, options: SpanOptions = {}): Span {
  return tracer.startSpan(name, options);
}

export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.inSpan(name, options, work);
}
