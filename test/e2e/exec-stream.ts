// CRI's streaming Exec as kubectl exec reaches it through the kubelet: RuntimeService.Exec answers a
// URL on containerd's stream server, spoken to over a WebSocket with the v4.channel.k8s.io protocol.
// Each binary message starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 the exec's status
// (a metav1.Status in JSON, written once the process has exited), 4 terminal sizes (JSON Width and
// Height). The stream server listens on 127.0.0.1 in the node's network namespace, so the client
// runs there: this file, run as a script, writes what it received as JSON.
import type { PrivateContainerd } from '../../scripts/private-containerd.ts';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const STATUS = 3;
export const RESIZE = 4;

export interface ExecStatus {
  status: string;
  reason?: string;
  message?: string;
  details?: { causes?: { reason: string; message: string }[] };
}

export interface StreamedExec {
  protocol: string;
  stdout: string;
  stderr: string;
  status: ExecStatus | undefined;
}

// `send`: the messages written as soon as the connection is open, as [channel, text].
export async function streamExec(containerd: Pick<PrivateContainerd, 'exec'>, url: string, send: [number, string][]): Promise<StreamedExec> {
  const result = await containerd.exec(process.execPath, ['--no-warnings', import.meta.filename, url, JSON.stringify(send)]);
  if (result.code !== 0) throw new Error(`the stream client for ${url} failed with ${result.code}: ${result.stderr}`);
  const { protocol, frames } = JSON.parse(result.stdout) as { protocol: string; frames: [number, string][] };
  const channel = (wanted: number) => Buffer.concat(frames.filter(([number]) => number === wanted).map(([, data]) => Buffer.from(data, 'base64'))).toString('utf8');
  const status = channel(STATUS);
  return { protocol, stdout: channel(STDOUT), stderr: channel(STDERR), status: status ? (JSON.parse(status) as ExecStatus) : undefined };
}

// The exit code a status carries: 0 on Success, the ExitCode cause of a NonZeroExitCode failure.
export function exitCodeOf(status: ExecStatus | undefined): number | undefined {
  if (status?.status === 'Success') return 0;
  const cause = status?.reason === 'NonZeroExitCode' ? status.details?.causes?.find((c) => c.reason === 'ExitCode') : undefined;
  return cause ? Number(cause.message) : undefined;
}

if (process.argv[1] === import.meta.filename) {
  const [url = '', send = '[]'] = process.argv.slice(2);
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'v4.channel.k8s.io');
  socket.binaryType = 'arraybuffer';
  const frames: [number, string][] = [];
  socket.onopen = () => {
    for (const [channel, text] of JSON.parse(send) as [number, string][]) socket.send(Uint8Array.of(channel, ...new TextEncoder().encode(text)));
  };
  socket.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    const bytes = new Uint8Array(event.data);
    frames.push([bytes[0]!, Buffer.from(bytes.subarray(1)).toString('base64')]);
  };
  socket.onerror = (event) => process.stderr.write(`${url}: ${(event as ErrorEvent).message ?? 'WebSocket error'}\n`);
  socket.onclose = (event) => {
    // The server closes normally once the status is written; anything else is the client's failure.
    if (event.code !== 1000 && event.code !== 1005) process.exitCode = 1;
    process.stdout.write(JSON.stringify({ protocol: socket.protocol, code: event.code, frames }));
  };
}
