// Drives runc. `runc run --keep` stays in the foreground as the container's parent, so its exit
// status is the container's (128+signal when killed); the shim cannot reap an orphan itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { execHelper, HELPER_TIMEOUT_MS } from './exec.ts';
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LOG_FILE, PID_FILE } from './runc-files.ts';
import { join } from 'node:path';
import { constants } from 'node:os';

// The runc binary: WASMTS_RUNC in containerd's environment (shims inherit it), else runc on PATH.
export const RUNC = process.env.WASMTS_RUNC || 'runc';

// runc relays sd_notify when NOTIFY_SOCKET is set. A containerd that systemd runs as Type=notify
// hands it to its shims, and runc then binds a socket under its state directory (a path too long
// for a socket under /run/containerd/wasmts: `bind: invalid argument`) and waits for the container
// to notify. Only systemd starting runc itself may set it; containerd's runc shim drops it too.
export function runcEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.NOTIFY_SOCKET;
  return copy;
}
const RUNC_ENV = runcEnvironment(process.env);

export interface RuncRunOptions {
  root: string;
  id: string;
  bundle: string;
  systemdCgroup: boolean;
  stdio: ['pipe' | 'ignore', number | 'ignore', number | 'ignore'];
}

export interface RuncProcess {
  child: ChildProcess;
  // Resolves with the container's pid once its process runs; rejects with runc's own error.
  started: Promise<number>;
  // Resolves with the exit status: the container's, or 128+signal if runc itself was killed.
  exited: Promise<number>;
  // Ends runc and whatever it started so far (a container still starting has no pid to signal).
  abort(): void;
}


// runc logs JSON lines; the last error line says why it failed.
export function lastRuncError(log: string): string | undefined {
  let last: string | undefined;
  for (const line of log.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) last = entry.msg;
    } catch {
      if (line.trim()) last = line.trim();
    }
  }
  return last;
}

function globalArgs(root: string, bundle: string, systemdCgroup = false): string[] {
  return ['--root', root, '--log', join(bundle, LOG_FILE), '--log-format', 'json', ...(systemdCgroup ? ['--systemd-cgroup'] : [])];
}

export function runcRun(options: RuncRunOptions): RuncProcess {
  const { root, id, bundle, stdio } = options;
  const pidFile = join(bundle, PID_FILE);
  const args = [...globalArgs(root, bundle, options.systemdCgroup), 'run', '--keep', '--bundle', bundle, '--pid-file', pidFile, id];
  const child = spawn(RUNC, args, { stdio, detached: true, cwd: bundle, env: RUNC_ENV });
  // runc runs in a process group of its own (detached); its container's init may not stay in it.
  const abort = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  };
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    child.on('error', () => resolve(127));
  });
  const started = new Promise<number>((resolve, reject) => {
    const watcher = watch(bundle, (_event, name) => {
      if (name === PID_FILE) void check();
    });
    let settled = false;
    const timer = setTimeout(() => {
      abort();
      settle(() => reject(new Error(`runc did not start the container in ${HELPER_TIMEOUT_MS / 1000} s: it was killed (set WASMTS_RUNC_TIMEOUT_MS in containerd's environment on a slow node)`)));
    }, HELPER_TIMEOUT_MS);
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      fn();
    };
    const check = async () => {
      const text = await readFile(pidFile, 'utf8').catch(() => '');
      const pid = Number.parseInt(text, 10);
      if (pid > 0) settle(() => resolve(pid));
    };
    child.on('error', (error) => settle(() => reject(new Error(`cannot run ${RUNC}: ${error.message}; install runc (apt-get install runc) or put it on containerd's PATH`))));
    void exited.then(async (status) => {
      await check();
      const log = await readFile(join(bundle, LOG_FILE), 'utf8').catch(() => '');
      settle(() => reject(new Error(lastRuncError(log) ?? `runc exited with status ${status} before the container started`)));
    });
    void check();
  });
  return { child, started, exited, abort };
}

async function runc(root: string, bundle: string, args: string[]): Promise<void> {
  await execHelper(RUNC, [...globalArgs(root, bundle), ...args], HELPER_TIMEOUT_MS, RUNC_ENV);
}

// runc's words for a container that is gone or no longer running.
export function isGone(error: Error): boolean {
  return /not exist|not found|not running|container .* is stopped/i.test(error.message);
}

export function runcKillAll(root: string, bundle: string, id: string, signal: number): Promise<void> {
  return runc(root, bundle, ['kill', '--all', id, String(signal)]);
}

export async function runcDelete(root: string, bundle: string, id: string): Promise<void> {
  await runc(root, bundle, ['delete', '--force', id]).catch((error: Error) => {
    if (!isGone(error)) throw error;
  });
}

