// Opens the stdio that containerd gave a task: FIFO paths (stdin too), file:// URIs (append), or
// nothing. The fds are handed to runc and closed here once it has them.
import { closeSync, constants, open, openSync } from 'node:fs';
import { invalidArgument } from '../errors.ts';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
}

export interface OpenStdio {
  stdin: Promise<number | undefined>;
  stdout: number | undefined;
  stderr: number | undefined;
  close(): void;
}

const STDIN_OPEN_TIMEOUT_MS = 5000;


export function outputTarget(uri: string): { kind: 'none' } | { kind: 'file'; path: string } | { kind: 'fifo'; path: string } {
  if (!uri) return { kind: 'none' };
  if (uri.startsWith('file://')) return { kind: 'file', path: decodeURIComponent(new URL(uri).pathname) };
  if (uri.startsWith('binary://')) throw invalidArgument(`log URI ${uri}: binary:// loggers are not supported by wasmts; use a file:// URI or the default FIFOs`);
  if (/^[a-z]+:\/\//.test(uri)) throw invalidArgument(`stdio URI ${uri} has a scheme wasmts does not know; use a FIFO path or a file:// URI`);
  return { kind: 'fifo', path: uri };
}

function openOutput(uri: string): number | undefined {
  const target = outputTarget(uri);
  if (target.kind === 'none') return undefined;
  // A FIFO opened read-write never blocks, whether or not containerd's reader is there yet.
  if (target.kind === 'fifo') return openSync(target.path, constants.O_RDWR);
  return openSync(target.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
}

// A blocking open of a FIFO waits for its writer; it runs on libuv's pool so the shim does not
// wait. If no writer comes, opening a writer ourselves releases it, and the guest reads EOF.
async function openStdin(path: string, timeoutMs: number): Promise<number | undefined> {
  if (!path) return undefined;
  const pending = new Promise<number>((resolve, reject) => open(path, constants.O_RDONLY, (error, fd) => (error ? reject(error) : resolve(fd))));
  const timer = setTimeout(() => {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // Nobody reads either: the pending open has already finished or failed.
    }
  }, timeoutMs);
  try {
    return await pending;
  } finally {
    clearTimeout(timer);
  }
}

export function openStdio(paths: StdioPaths, stdinTimeoutMs = STDIN_OPEN_TIMEOUT_MS): OpenStdio {
  const stdout = openOutput(paths.stdout);
  let stderr: number | undefined;
  try {
    stderr = openOutput(paths.stderr);
  } catch (error) {
    if (stdout !== undefined) closeSync(stdout);
    throw error;
  }
  const stdin = openStdin(paths.stdin, stdinTimeoutMs);
  stdin.catch(() => {});
  let closed = false;
  return {
    stdin,
    stdout,
    stderr,
    close() {
      if (closed) return;
      closed = true;
      for (const fd of [stdout, stderr]) if (fd !== undefined) closeSync(fd);
      void stdin.then((fd) => fd !== undefined && closeSync(fd), () => {});
    },
  };
}
