// W3C Trace Context (https://www.w3.org/TR/trace-context/), as containerd 2.x's otelttrpc sends it in
// ttrpc metadata: `traceparent` = version-traceid-parentid-flags in lowercase hex.

export interface SpanContext {
  traceId: Uint8Array;
  spanId: Uint8Array;
  // Bit 0: the caller records this trace (sampled).
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

const allZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

// A header this cannot read is no parent: the span then starts a trace of its own, as the spec asks.
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceHex, spanHex, flagsHex, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is forbidden; version 00 has exactly four fields; later versions may add fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const traceId = Buffer.from(traceHex, 'hex');
  const spanId = Buffer.from(spanHex, 'hex');
  if (allZero(traceId) || allZero(spanId)) return undefined;
  return { traceId: new Uint8Array(traceId), spanId: new Uint8Array(spanId), flags: Number.parseInt(flagsHex, 16) };
}

export function formatTraceparent(context: SpanContext): string {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  return `00-${hex(context.traceId)}-${hex(context.spanId)}-${(context.flags & 0xff).toString(16).padStart(2, '0')}`;
}
