// OTLP/HTTP with protobuf bodies (the default protocol): one POST per batch.
import type { TracingConfig } from './config.ts';

export function httpSender(config: TracingConfig): (body: Uint8Array) => Promise<void> {
  return async (body) => {
    const response = await fetch(config.endpoint, {
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/x-protobuf' },
      // toBinary's bytes are on a plain ArrayBuffer, never a shared one.
      body: body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(config.timeoutMs),
    }).catch((error: Error) => {
      throw new Error(`cannot reach the OTLP endpoint ${config.endpoint}: ${(error.cause as Error | undefined)?.message ?? error.message}`);
    });
    // The body is read so that the connection is reused.
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new Error(`the OTLP endpoint ${config.endpoint} answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
  };
}
