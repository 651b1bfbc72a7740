// Which containerd runs this shim, asked of containerd itself: gRPC containerd.services.version.v1.
// Version/Version on the -address socket. containerd 1.6, 1.7 and 2.0-2.2 start a shim with the same
// argv, env and stdin (MAX_SHIM_VERSION is 2 on all of them), so nothing else tells them apart.
// node:http2 speaks the call: a gRPC client library would cost `start` more than the call itself.
import { readFile, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import { readFields, stringOf } from './proto-wire.ts';

const VERSION_PATH = '/containerd.services.version.v1.Version/Version';

// A gRPC message: 1 byte compressed flag, 4 bytes big-endian length, the protobuf bytes.
export function grpcFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return frame;
}

export function versionFromReply(body: Uint8Array): string | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const length = new DataView(body.buffer, body.byteOffset).getUint32(1);
  if (body.length < 5 + length) return undefined;
  return stringOf(readFields(body.subarray(5, 5 + length)), 1) || undefined;
}

// Undefined when containerd does not answer in time: the caller then gives the reply every version
// accepts.
export function askContainerdVersion(socket: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const session = http2.connect('http://containerd', { createConnection: () => net.connect(socket) });
    const done = (version: string | undefined) => {
      clearTimeout(timer);
      session.destroy();
      resolve(version);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    session.on('error', () => done(undefined));
    const request = session.request({ ':method': 'POST', ':path': VERSION_PATH, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        done(versionFromReply(Buffer.concat(chunks)));
      } catch {
        done(undefined);
      }
    });
    request.on('error', () => done(undefined));
    request.end(grpcFrame(new Uint8Array()));
  });
}

// A containerd process: its pid and the clock tick it started at (field 22 of /proc/PID/stat), so a
// containerd restarted, or upgraded, under a pid that came round again is another one.
export function processIdentity(pid: number, stat: string): string | undefined {
  const started = stat.replace(/^.*\) /s, '').split(' ')[19];
  return started ? `${pid}:${started}` : undefined;
}

// containerd runs `start` itself, so the parent is the containerd to ask. On 1.x, which runs `start`
// for every container of a pod, the first `start` of a daemon asks, and the later ones read its
// answer from beside the socket (about a tenth of a `start`, measured on 1.6) while that containerd
// lives.
export async function knownContainerdVersion(file: string, ask: () => Promise<string | undefined>, parent = process.ppid): Promise<string | undefined> {
  const identity = processIdentity(parent, await readFile(`/proc/${parent}/stat`, 'utf8').catch(() => ''));
  if (identity) {
    const [known, version] = (await readFile(file, 'utf8').catch(() => '')).split('\n');
    if (known === identity && version) return version;
  }
  const version = await ask();
  if (identity && version) await writeFile(file, `${identity}\n${version}\n`).catch(() => {});
  return version;
}
