// Runs the runner from the sources as runc would start it in a container (its env empty, its cwd the
// guest's), with a guest config written for it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = join(import.meta.dirname, '../shim/main.ts');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  // What the runner wrote to its status descriptor, when it was given one.
  status?: string;
}

export interface GuestRun {
  engine?: string;
  env?: string[];
  input?: string;
  cwd?: string;
  // Hand the runner a status descriptor (fd 3), as the shim does.
  status?: boolean;
}

export function runnerHarness() {
  const dir = mkdtempSync(join(tmpdir(), 'runner-'));
  let runs = 0;
  // The runner still running, for a guest that serves until it is signalled.
  const start = (module: string, args: string[], options: GuestRun = {}): Started => {
    const guestFile = join(dir, `guest-${runs++}.json`);
    writeFileSync(guestFile, JSON.stringify({ engine: options.engine ?? 'preview1', module, args, env: options.env ?? [], cwd: options.cwd ?? '/' }));
    return startMain(['run', guestFile, ...(options.status ? ['3'] : [])], options);
  };
  return {
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    start,
    run: (module: string, args: string[], options: GuestRun = {}): Promise<Run> => start(module, args, options).done,
  };
}

export interface Started {
  child: ChildProcessWithoutNullStreams;
  done: Promise<Run>;
}

export function startMain(args: string[], options: { input?: string; cwd?: string; status?: boolean } = {}): Started {
  const child = spawn(process.execPath, ['--no-warnings', main, ...args], { env: {}, cwd: options.cwd ?? '/', stdio: ['pipe', 'pipe', 'pipe', ...(options.status ? ['pipe' as const] : [])] }) as ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';
  let status = '';
  child.stdio[3]?.on('data', (c: Buffer) => (status += c));
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  child.stdin.on('error', () => {});
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, ...(options.status ? { status } : {}) }))) };
}

export function runMain(args: string[], options: { input?: string; cwd?: string } = {}): Promise<Run> {
  return startMain(args, options).done;
}
