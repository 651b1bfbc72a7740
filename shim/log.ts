// Structured log lines (logfmt, as containerd's own) to the bundle's `log` FIFO, which containerd
// copies into its log. Debug lines only with -debug.
import { openSync, write } from 'node:fs';

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

// The FIFO is opened read-write so the open never blocks and a missing reader never fails a write.
export function fifoSink(path: string): (line: string) => void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return () => {};
  }
  return (line) => write(fd!, line, () => {});
}
