// Structured log lines (logfmt, as containerd's own) to the bundle's `log` FIFO, which containerd
// copies into its log. Debug lines only with -debug.
import { constants, openSync, writeSync } from 'node:fs';

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

export function createLogger(sink: (line: string) => void, debug: boolean, base: Fields = {}): Logger {
  const emit = (level: string) => (message: string, fields: Fields = {}) => sink(formatLine(level, message, { ...base, ...fields }));
  return { debug: debug ? emit('debug') : () => {}, info: emit('info'), warn: emit('warn'), error: emit('error') };
}

// Read-write, so the open never blocks; non-blocking, so a reader that stops reading (containerd
// restarting) costs log lines, never a stuck shim. Lines are written whole and in order.
export function fifoSink(path: string): (line: string) => void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  } catch {
    return () => {};
  }
  return (line) => {
    try {
      writeSync(fd, line);
    } catch {
      // EAGAIN: the FIFO is full; the line is dropped.
    }
  };
}
