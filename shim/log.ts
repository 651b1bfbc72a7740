// Structured log lines (logfmt, as containerd's own) to the bundle's `log` FIFO, which containerd
// copies into its log. Debug lines only with -debug.
import { closeSync, constants, openSync, writeSync } from 'node:fs';

export type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

function quote(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
}

export function formatLine(level: string, message: string, fields: Fields, now = new Date()): string {
  let line = `time=${quote(now.toISOString())} level=${level} msg=${quote(message)}`;
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) line += ` ${key}=${quote(String(value))}`;
  return `${line}\n`;
}

// `sink` gets the fields too, to route a line by the task it names.
export function createLogger(sink: (line: string, fields: Fields) => void, debug: boolean, base: Fields = {}): Logger {
  const emit = (level: string) => (message: string, fields: Fields = {}) => sink(formatLine(level, message, { ...base, ...fields }), fields);
  return { debug: debug ? emit('debug') : () => {}, info: emit('info'), warn: emit('warn'), error: emit('error') };
}

// Read-write, so the open never blocks; non-blocking, so a reader that stops reading (containerd
// restarting) costs log lines, never a stuck shim. Lines are written whole and in order.
function openFifo(path: string): number | undefined {
  try {
    return openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
}

function writeLine(fd: number, line: string): void {
  try {
    writeSync(fd, line);
  } catch {
    // EAGAIN: the FIFO is full; the line is dropped.
  }
}

function closeFifo(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing is lost.
  }
}

// One daemon serves the tasks of many pods. containerd reads the `log` FIFO of each bundle where it
// ran `start` (on 2.x, a pod's later containers have none), and only while that shim is known to
// it. So a line about a task goes to its own bundle's FIFO; a task without one, and the daemon's own
// lines, go to the FIFO of the newest task that has one. A deleted task's FIFO is closed (nobody
// will read it), except the last: the daemon's closing lines go there, while containerd still reads
// it (the first bundle's plays that part until a task comes).
export class LogRoutes {
  readonly #byTask = new Map<string, number>();
  #fallback: number | undefined;

  constructor(firstBundleLog: string) {
    this.#fallback = openFifo(firstBundleLog);
  }

  open(id: string, bundleLog: string): void {
    const fd = openFifo(bundleLog);
    if (fd === undefined) return;
    this.#byTask.set(id, fd);
    closeFifo(this.#fallback);
    this.#fallback = undefined;
  }

  close(id: string): void {
    const fd = this.#byTask.get(id);
    this.#byTask.delete(id);
    if (this.#byTask.size === 0 && this.#fallback === undefined) this.#fallback = fd;
    else closeFifo(fd);
  }

  #newest(): number | undefined {
    let newest = this.#fallback;
    for (const fd of this.#byTask.values()) newest = fd;
    return newest;
  }

  readonly sink = (line: string, fields: Fields): void => {
    const own = typeof fields.id === 'string' ? this.#byTask.get(fields.id) : undefined;
    const fd = own ?? this.#newest();
    if (fd !== undefined) writeLine(fd, line);
  };
}
