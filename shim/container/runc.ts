// Drives runc. For a native container `runc run --keep` (and `runc exec`) stays in the foreground as
// the container's parent, so its exit status is the container's (128+signal when killed); the shim
// cannot reap an orphan itself. A wasm container's runner reports its own status instead (runcRunDetached).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { execHelper, HELPER_TIMEOUT_MS } from './exec.ts';
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { failedPrecondition, notFound } from '../errors.ts';
import { LOG_FILE, PID_FILE } from './runc-files.ts';
import { childrenOf } from './children.ts';
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
// A runc that stays as its container's parent for as long as the container runs (one per pod, for
// pause): with one P the Go runtime keeps fewer threads, 0.2 MB less private memory measured on a
// busybox sleep. GOGC and GOMEMLIMIT raised it instead (README, design notes).
const SUPERVISOR_ENV = { ...RUNC_ENV, GOMAXPROCS: '1' };

export type RuncStdio = ['pipe' | 'ignore', number | 'ignore', number | 'ignore'];

export interface RuncRunOptions {
  root: string;
  id: string;
  bundle: string;
  systemdCgroup: boolean;
  stdio: RuncStdio;
  // process.terminal of the spec: runc then needs a terminal of its own (see withTerminal).
  terminal: boolean;
}

export interface RuncExecOptions extends RuncRunOptions {
  // Names in the bundle: the OCI process JSON, and where runc writes the pid and its log.
  processFile: string;
  pidFile: string;
  logFile: string;
}

export interface RuncProcess {
  child: ChildProcess;
  // The process's stdin, when it was given a pipe.
  stdin: Writable | null;
  // Resolves with the container's pid once its process runs; rejects with runc's own error.
  started: Promise<number>;
  // Resolves with the exit status: the container's, or 128+signal if runc itself was killed.
  exited: Promise<number>;
  // Until the exit status is known.
  running(): boolean;
  // Ends runc and whatever it started so far (a container still starting has no pid to signal).
  abort(): void;
  // Sets the window size of the process's terminal (ResizePty).
  resize(width: number, height: number): Promise<void>;
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

function globalArgs(root: string, bundle: string, systemdCgroup = false, logFile = LOG_FILE): string[] {
  return ['--root', root, '--log', join(bundle, logFile), '--log-format', 'json', ...(systemdCgroup ? ['--systemd-cgroup'] : [])];
}

export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

// A process with a terminal: runc in the foreground allocates the pty and copies between it and its
// own stdio, but only when one of its stdio, or its controlling terminal, is a terminal itself
// (runc 1.1.5 fails "open /dev/tty: no such device or address" otherwise). Node can neither open a
// pty nor receive runc's pty master over --console-socket (no SCM_RIGHTS), so util-linux's `script`
// gives runc one: runc makes it raw, so the bytes pass unchanged, and `script --return` exits with
// runc's status. runc is exec'd as the session leader of that pty.
export const SCRIPT = process.env.WASMTS_SCRIPT || 'script';

function withTerminal(args: string[], terminal: boolean): [string, string[], NodeJS.ProcessEnv] {
  if (!terminal) return [RUNC, args, SUPERVISOR_ENV];
  const command = ['exec', ...[RUNC, ...args].map(shellQuote)].join(' ');
  return [SCRIPT, ['--quiet', '--return', '--command', command, '/dev/null'], { ...SUPERVISOR_ENV, SHELL: '/bin/sh' }];
}

function foreground(args: string[], options: { bundle: string; pidFile: string; logFile: string; stdio: RuncStdio; terminal: boolean }): RuncProcess {
  const { bundle, stdio, terminal } = options;
  const pidFile = join(bundle, options.pidFile);
  const [command, argv, env] = withTerminal(args, terminal);
  const child = spawn(command, argv, { stdio, detached: true, cwd: bundle, env });
  // runc runs in a process group of its own (detached); its container's init may not stay in it,
  // and under `script` runc leads a session of its own.
  const abort = () => {
    for (const pid of [...(child.pid && terminal ? childrenOf(child.pid) : []), -(child.pid ?? 0)]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  };
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    child.on('error', () => resolve(127));
  });
  const started = new Promise<number>((resolve, reject) => {
    const watcher = watch(bundle, (_event, name) => {
      if (name === options.pidFile) void check();
    });
    let settled = false;
    const timer = setTimeout(() => {
      abort();
      settle(() => reject(new Error(`runc did not start the process in ${HELPER_TIMEOUT_MS / 1000} s: it was killed (set WASMTS_RUNC_TIMEOUT_MS in containerd's environment on a slow node)`)));
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
    child.on('error', (error) => {
      const missing = command === SCRIPT ? `cannot run ${SCRIPT}, which a terminal (tty) needs: ${error.message}; install util-linux (apt-get install bsdutils) or run without a tty` : `cannot run ${RUNC}: ${error.message}; install runc (apt-get install runc) or put it on containerd's PATH`;
      settle(() => reject(new Error(missing)));
    });
    void exited.then(async (status) => {
      await check();
      const log = await readFile(join(bundle, options.logFile), 'utf8').catch(() => '');
      settle(() => reject(new Error(lastRuncError(log) ?? `runc exited with status ${status} before the process started`)));
    });
    void check();
  });
  // runc sizes the container's pty from its own terminal, at the start and on each SIGWINCH, which
  // the kernel sends it when that terminal's size changes. So the size is set on runc's terminal
  // (its fd 0, the pty `script` made): set on the container's pty directly, it would be overwritten by
  // runc's first resize, and it would miss a process that moved its fd 0 off the terminal.
  const resize = async (width: number, height: number) => {
    if (!terminal) throw failedPrecondition('this process has no terminal (tty) to resize');
    const [runc] = child.pid ? childrenOf(child.pid) : [];
    if (!runc) throw notFound('the process has already exited: there is no terminal to resize');
    await execHelper('stty', ['-F', `/proc/${runc}/fd/0`, 'rows', String(height), 'cols', String(width)]);
  };
  let ended = false;
  void exited.then(() => (ended = true));
  return { child, stdin: child.stdin, started, exited, abort, resize, running: () => !ended };
}

export function runcRun(options: RuncRunOptions): RuncProcess {
  const { root, id, bundle } = options;
  const args = [...globalArgs(root, bundle, options.systemdCgroup), 'run', '--keep', '--bundle', bundle, '--pid-file', join(bundle, PID_FILE), id];
  return foreground(args, { bundle, pidFile: PID_FILE, logFile: LOG_FILE, stdio: options.stdio, terminal: options.terminal });
}

// A wasm container: `runc run --detach` ends once the runner runs, so no runc stays behind per
// container (each was ~2 MB of a pod's memory). The runner is then an orphan that PID 1 (or the
// nearest subreaper) reaps; it writes its exit status to STATUS_FD, a socket whose other end is ours.
// Only a signal ends it without a word, and the only signal a wasm container is sent that ends it is
// SIGKILL (wasm-signals.ts), as is an OOM kill: silence reads as 128+SIGKILL.
const SILENT_EXIT = 128 + constants.signals.SIGKILL;

export function statusOf(said: string): number {
  const status = Number.parseInt(said.trim().split('\n').at(-1) ?? '', 10);
  return Number.isInteger(status) && status >= 0 && status <= 255 ? status : SILENT_EXIT;
}

export function runcRunDetached(options: RuncRunOptions & { statusFd: number }): RuncProcess {
  const { root, id, bundle } = options;
  const preserved = options.statusFd - 2;
  const args = [...globalArgs(root, bundle, options.systemdCgroup), 'run', '--detach', '--preserve-fds', String(preserved), '--bundle', bundle, '--pid-file', join(bundle, PID_FILE), id];
  const stdio: ('pipe' | 'ignore' | number)[] = [...options.stdio, ...Array.from({ length: preserved - 1 }, () => 'ignore' as const), 'pipe'];
  const child = spawn(RUNC, args, { stdio, detached: true, cwd: bundle, env: RUNC_ENV });
  // Node destroys a child's stdin when the child exits; this runc exits while the runner goes on
  // reading the same pipe, so the pipe is taken out of Node's hands.
  const { stdin } = child;
  child.stdin = null;
  const channel = child.stdio[options.statusFd]!;
  let said = '';
  channel.on('data', (chunk: Buffer) => (said += chunk.toString()));
  const silent = new Promise<void>((resolve) => {
    channel.on('close', resolve);
    channel.on('error', () => {});
  });
  let pid = 0;
  const runcExit = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    child.on('error', () => resolve(127));
  });
  const abort = () => {
    for (const target of [-(child.pid ?? 0), pid]) {
      try {
        if (target) process.kill(target, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  };
  let failure: string | undefined;
  const timer = setTimeout(() => {
    abort();
    failure ??= `runc did not start the process in ${HELPER_TIMEOUT_MS / 1000} s: it was killed (set WASMTS_RUNC_TIMEOUT_MS in containerd's environment on a slow node)`;
  }, HELPER_TIMEOUT_MS);
  child.on('error', (error) => (failure = `cannot run ${RUNC}: ${error.message}; install runc (apt-get install runc) or put it on containerd's PATH`));
  const started = runcExit.then(async (status) => {
    clearTimeout(timer);
    if (status === 0) {
      pid = Number.parseInt(await readFile(join(bundle, PID_FILE), 'utf8').catch(() => ''), 10);
      if (pid > 0) return pid;
    }
    const log = await readFile(join(bundle, LOG_FILE), 'utf8').catch(() => '');
    throw new Error(failure ?? lastRuncError(log) ?? `runc exited with status ${status} before the process started`);
  });
  // The status socket closes when the runner ends, or with runc when the runner never ran.
  let ended = false;
  const exited = started.then(
    () => silent.then(() => statusOf(said)),
    () => runcExit,
  );
  void exited.then(() => {
    ended = true;
    stdin?.destroy();
  });
  const resize = async () => {
    throw failedPrecondition('this process has no terminal (tty) to resize');
  };
  return { child, stdin, started, exited, abort, resize, running: () => !ended };
}

// `runc exec` in the foreground is the exec process's parent, as `runc run --keep` is the init's:
// its exit status is the process's, 128+signal when killed.
export function runcExec(options: RuncExecOptions): RuncProcess {
  const { root, id, bundle } = options;
  const args = [...globalArgs(root, bundle, options.systemdCgroup, options.logFile), 'exec', '--process', join(bundle, options.processFile), '--pid-file', join(bundle, options.pidFile), id];
  return foreground(args, options);
}

async function runc(root: string, bundle: string, args: string[], input?: string): Promise<void> {
  await execHelper(RUNC, [...globalArgs(root, bundle), ...args], HELPER_TIMEOUT_MS, RUNC_ENV, input);
}

// runc's words for a container that is gone or no longer running.
export function isGone(error: Error): boolean {
  return /not exist|not found|not running|container .* is stopped/i.test(error.message);
}

export function runcKillAll(root: string, bundle: string, id: string, signal: number): Promise<void> {
  return runc(root, bundle, ['kill', '--all', id, String(signal)]);
}

// `runc update --resources -` reads OCI LinuxResources JSON from stdin, as containerd's go-runc sends it.
export function runcUpdate(root: string, bundle: string, id: string, resources: string): Promise<void> {
  return runc(root, bundle, ['update', '--resources', '-', id], resources);
}

export async function runcDelete(root: string, bundle: string, id: string): Promise<void> {
  await runc(root, bundle, ['delete', '--force', id]).catch((error: Error) => {
    if (!isGone(error)) throw error;
  });
}

