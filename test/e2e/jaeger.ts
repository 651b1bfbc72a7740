// A Jaeger of our own (built by scripts/jaeger.sh): OTLP in on ports of its own, spans read back
// through its query API. Two containerd versions' lanes run at once, each with its own Jaeger.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { until } from './poll.ts';

const CACHE = process.env.WASMTS_TEST_CACHE || '/var/cache/wasmts-test';
export const JAEGER_BINARY = join(CACHE, 'jaeger-v1.76.0/jaeger');

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
  // Filled in from the trace's processes.
  serviceName: string;
  processTags: Record<string, unknown>;
}

export const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
export const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class Jaeger {
  #process: ChildProcess | undefined;
  #dir = '';
  #ports = { grpc: 0, http: 0, query: 0, queryGrpc: 0 };
  #output = '';

  get otlpHttp(): string {
    return `http://127.0.0.1:${this.#ports.http}`;
  }

  get otlpGrpc(): string {
    return `http://127.0.0.1:${this.#ports.grpc}`;
  }

  async start(): Promise<void> {
    if (!existsSync(JAEGER_BINARY)) throw new Error(`${JAEGER_BINARY} is missing: run bash scripts/jaeger.sh (make setup)`);
    this.#ports = { grpc: await freePort(), http: await freePort(), query: await freePort(), queryGrpc: await freePort() };
    this.#dir = mkdtempSync('/tmp/wasmts-jaeger-');
    const config = join(this.#dir, 'config.yaml');
    writeFileSync(config, [
      'service:',
      '  extensions: [jaeger_storage, jaeger_query]',
      '  pipelines:',
      '    traces: { receivers: [otlp], exporters: [jaeger_storage_exporter] }',
      '  telemetry: { metrics: { level: none }, logs: { level: warn } }',
      'extensions:',
      '  jaeger_storage: { backends: { memory: { memory: { max_traces: 100000 } } } }',
      '  jaeger_query:',
      '    storage: { traces: memory }',
      `    http: { endpoint: "127.0.0.1:${this.#ports.query}" }`,
      `    grpc: { endpoint: "127.0.0.1:${this.#ports.queryGrpc}" }`,
      'receivers:',
      '  otlp:',
      '    protocols:',
      `      grpc: { endpoint: "127.0.0.1:${this.#ports.grpc}" }`,
      `      http: { endpoint: "127.0.0.1:${this.#ports.http}" }`,
      'exporters:',
      '  jaeger_storage_exporter: { trace_storage: memory }',
    ].join('\n'));
    this.#process = spawn(JAEGER_BINARY, ['--config', `file:${config}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => void (this.#output = (this.#output + chunk.toString()).slice(-4000));
    this.#process.stdout!.on('data', keep);
    this.#process.stderr!.on('data', keep);
    await until(async () => {
      if (this.#process!.exitCode !== null) throw new Error(`jaeger exited with ${this.#process!.exitCode}: ${this.#output}`);
      const answer = await fetch(`http://127.0.0.1:${this.#ports.query}/api/services`).catch(() => undefined);
      const receiving = await fetch(`${this.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(0) }).catch(() => undefined);
      return answer?.ok && receiving?.ok;
    }, 'jaeger to answer', 30_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${this.#output}`);
    });
  }

  // Every span of the traces that hold a span of `service` with these tags.
  async spans(service: string, tags: Record<string, string>): Promise<JaegerSpan[]> {
    const query = new URLSearchParams({ service, tags: JSON.stringify(tags), limit: '100', lookback: '1h' });
    const response = await fetch(`http://127.0.0.1:${this.#ports.query}/api/traces?${query}`);
    if (!response.ok) throw new Error(`jaeger's query API answered ${response.status}: ${await response.text()}`);
    const { data } = (await response.json()) as { data: { spans: JaegerSpan[]; processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }> }[] | null };
    return (data ?? []).flatMap((trace) => trace.spans.map((span) => {
      const process = trace.processes[span.processID]!;
      return { ...span, serviceName: process.serviceName, processTags: Object.fromEntries(process.tags.map((t) => [t.key, t.value])) };
    }));
  }

  async stop(): Promise<void> {
    if (this.#process && this.#process.exitCode === null) {
      const exited = new Promise((resolve) => this.#process!.once('exit', resolve));
      this.#process.kill('SIGKILL');
      await exited;
    }
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
