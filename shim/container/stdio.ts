// Opens the stdio that containerd gave a task: FIFO paths (stdin too), file:// URIs (append), or
// nothing. Output fds go to runc directly. stdin is copied by the shim into a pipe to runc, as
// containerd's runc shim does: its writer may come late or never, and nothing may wait for it.
import { closeSync, constants, openSync, statSync } from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { invalidArgument } from '../errors.ts';

// After CloseIO, how long a silent stdin FIFO writer may hold it open before stdin is ended anyway.
const STDIN_DRAIN_IDLE_MS = 2000;

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
}

export interface OpenStdio {
  hasStdin: boolean;
  stdout: number | undefined;
  stderr: number | undefined;
  // Copies the stdin FIFO into the container's stdin once the FIFO's writer is there.
  connectStdin(target: Writable): void;
  // Ends the container's stdin (CloseIO) once what is queued in the FIFO has been delivered.
  closeStdin(): void;
  // Closes the output fds once runc holds its own copies.
  closeOutputs(): void;
  // Closes every fd still held here, and releases a stdin open that is still waiting for a writer.
  close(): void;
}

export function outputTarget(uri: string): { kind: 'none' } | { kind: 'file'; path: string } | { kind: 'fifo'; path: string } {
  if (!uri) return { kind: 'none' };
  if (uri.startsWith('file://')) return { kind: 'file', path: decodeURIComponent(new URL(uri).pathname) };
  if (uri.startsWith('binary://')) throw invalidArgument(`log URI ${uri}: binary:// loggers are not supported by wasmts; use a file:// URI or the default FIFOs`);
  if (/^[a-z]+:\/\//.test(uri)) throw invalidArgument(`stdio URI ${uri} has a scheme wasmts does not know; use a FIFO path or a file:// URI`);
  return { kind: 'fifo', path: uri };
}

function isFifo(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}

function openOutput(uri: string): number | undefined {
  const target = outputTarget(uri);
  if (target.kind === 'none') return undefined;
  // A FIFO opened read-write never blocks, whether or not containerd's reader is there yet. A file://
  // URI may name a FIFO too: opened write-only it would block the daemon's only thread until a reader
  // came, and every other task of the pod would stop answering.
  if (target.kind === 'fifo' || isFifo(target.path)) return openSync(target.path, constants.O_RDWR);
  return openSync(target.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
}

function closeFd(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

export function openStdio(paths: StdioPaths): OpenStdio {
  let stdout = openOutput(paths.stdout);
  let stderr: number | undefined;
  try {
    stderr = openOutput(paths.stderr);
  } catch (error) {
    closeFd(stdout);
    throw error;
  }
  // Opened non-blocking: it never waits. epoll reports the FIFO readable only once a writer has come,
  // and hung up once that writer has gone, so the pipe handle below sees data, then EOF.
  let stdinFd: number | undefined;
  try {
    stdinFd = paths.stdin ? openSync(paths.stdin, constants.O_RDONLY | constants.O_NONBLOCK) : undefined;
  } catch (error) {
    closeFd(stdout);
    closeFd(stderr);
    throw error;
  }
  let source: net.Socket | undefined;
  let target: Writable | undefined;
  let closed = false;
  // A CloseIO that came before Start connected stdin applies once it does.
  let closeRequested = false;
  return {
    hasStdin: paths.stdin !== '',
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    connectStdin(to) {
      to.on('error', () => {});
      target = to;
      if (stdinFd === undefined || closed) return;
      source = new net.Socket({ fd: stdinFd, readable: true, writable: false });
      stdinFd = undefined;
      source.on('error', () => to.end());
      source.pipe(to);
      if (closeRequested) this.closeStdin();
    },
    closeStdin() {
      closeRequested = true;
      // ctr sends CloseIO as soon as its own input ends, with bytes still queued in the FIFO: they go
      // through to the end of the FIFO (its writer gone), and the pipe then ends the container's
      // stdin. A writer that holds the FIFO open but sends nothing more must not keep it open forever.
      if (!source || source.destroyed || source.readableEnded) return void target?.end();
      let idle: NodeJS.Timeout;
      let chunks = 0;
      const finish = () => {
        clearTimeout(idle);
        source?.unpipe();
        source?.destroy();
        target?.end();
      };
      const wait = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          // After a stall of the daemon the timer runs before the reads that were pending: let one
          // poll phase deliver them before calling the writer silent. Paused means the guest has
          // not taken what was read yet: then the writer is not the silent one either.
          const seen = chunks;
          setImmediate(() => (source?.destroyed ? finish() : chunks !== seen || source?.isPaused() ? wait() : finish()));
        }, STDIN_DRAIN_IDLE_MS);
      };
      source.on('data', () => {
        chunks++;
        wait();
      });
      source.once('end', () => clearTimeout(idle));
      source.once('close', () => clearTimeout(idle));
      wait();
    },
    closeOutputs() {
      closeFd(stdout);
      closeFd(stderr);
      stdout = stderr = undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      this.closeOutputs();
      source?.destroy();
      closeFd(stdinFd);
      stdinFd = undefined;
    },
  };
}
