// A containerd of our own for tests and the demo: its own root, state and socket, inside a private
// mount namespace with tmpfs over the host paths containerd 1.6 writes outside its root. A holder
// process keeps the namespace, so containerd can be stopped and started again inside it.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdVersion, pathFor, type ContainerdVersion } from './containerd-versions.ts';
import { childrenOf, pidsMatching } from './processes.ts';

export const PRIVATE_PATHS = ['/run/containerd', '/var/lib/cni', '/opt/containerd', '/etc/cni/net.d', '/run/netns'];

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PrivateContainerdOptions {
  shimDir: string;
  cri?: boolean;
  // Also a network namespace of its own: pods' bridge and addresses never touch the host's network.
  network?: boolean;
  // A full config (say containerd's default, edited by `install`) to use instead of the minimal one;
  // its root, state and socket are replaced by this instance's own.
  config?: string;
  // Which containerd (default: WASMTS_CONTAINERD, else Debian's 1.6).
  version?: ContainerdVersion;
  // Added to containerd's environment (which its shims inherit) at start().
  env?: Record<string, string>;
}

export class PrivateContainerd {
  readonly dir: string;
  readonly socket: string;
  readonly version: ContainerdVersion;
  readonly #options: PrivateContainerdOptions;
  #holder: ChildProcess | undefined;
  #containerd: ChildProcess | undefined;
  #containerdExited: Promise<void> | undefined;

  constructor(options: PrivateContainerdOptions) {
    this.#options = options;
    this.version = options.version ?? containerdVersion();
    this.dir = mkdtempSync('/tmp/wasmts-ctd-');
    this.socket = join(this.dir, 'containerd.sock');
  }

  get holderPid(): number {
    return this.#holder!.pid!;
  }

  get componentCache(): string {
    return join(this.dir, 'components');
  }

  get logPath(): string {
    return join(this.dir, 'containerd.log');
  }

  #config(): string {
    if (this.#options.config !== undefined) {
      const config = this.#options.config
        .replace(/^root = .*$/m, `root = "${join(this.dir, 'root')}"`)
        .replace(/^state = .*$/m, `state = "${join(this.dir, 'state')}"`)
        .replace(/^imports = .*$/m, 'imports = []');
      // containerd 2.3's default config has the socket in its grpc server plugin, not in [grpc].
      const grpc = /^(\s*\[(grpc|plugins\.'io\.containerd\.server\.v1\.grpc')\][^[]*?address = )["'].*["']$/m;
      if (!grpc.test(config)) throw new Error('the containerd config sets no grpc address to replace');
      return config.replace(grpc, `$1"${this.socket}"`);
    }
    const disabled = this.#options.cri ? '' : 'disabled_plugins = ["io.containerd.grpc.v1.cri"]';
    return [
      'version = 2',
      `root = "${join(this.dir, 'root')}"`,
      `state = "${join(this.dir, 'state')}"`,
      disabled,
      '[grpc]',
      `  address = "${this.socket}"`,
      '[debug]',
      '  level = "debug"',
    ].join('\n');
  }

  async start(): Promise<void> {
    writeFileSync(join(this.dir, 'config.toml'), this.#config());
    const mounts = PRIVATE_PATHS.map((p) => `mkdir -p ${p} && mount -t tmpfs -o mode=0711 tmpfs ${p}`).join(' && ');
    const network = this.#options.network ? ['--net'] : [];
    const loopback = this.#options.network ? ' && ip link set lo up' : '';
    this.#holder = spawn('unshare', ['--mount', ...network, '--propagation', 'private', '--', 'sh', '-c', `${mounts}${loopback} && echo ready && exec sleep infinity`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      this.#holder!.stdout!.once('data', () => resolve());
      this.#holder!.once('exit', (code) => reject(new Error(`the mount namespace holder exited with ${code}: is this run as root?`)));
    });
    await this.startContainerd(this.#options.env);
  }

  // `env` is added to containerd's environment, which its shims inherit.
  async startContainerd(env: Record<string, string> = {}): Promise<void> {
    const log = openSync(this.logPath, 'a');
    // Each containerd's shims transpile components into a cache of their own: tests see every transpile.
    const fullEnv = { ...process.env, PATH: pathFor(this.version, [this.#options.shimDir]), WASMTS_COMPONENT_CACHE: this.componentCache, ...env };
    // On a node PID 1 reaps the orphans containerd's shims leave (a wasm container's runner, once
    // `runc run --detach` is done); this machine's PID 1 may not, so tini, a subreaper, stands in for
    // it as containerd's parent. It passes SIGTERM on to containerd and exits with it.
    this.#containerd = spawn('nsenter', ['-t', String(this.holderPid), ...this.#namespaces(), '--', 'tini', '-s', '--', 'containerd', '--config', join(this.dir, 'config.toml')], {
      stdio: ['ignore', log, log],
      env: fullEnv,
    });
    closeSync(log);
    this.#containerdExited = new Promise((resolve) => this.#containerd!.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (existsSync(this.socket) && (await this.ctr(['version'])).code === 0) return;
      if (this.#containerd.exitCode !== null || this.#containerd.signalCode !== null) throw new Error(`containerd ${this.version.name} exited early: ${this.#logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // tini passes on no SIGKILL: containerd gets its own.
    for (const pid of childrenOf(this.#containerd.pid!)) process.kill(pid, 'SIGKILL');
    this.#containerd.kill('SIGKILL');
    throw new Error(`containerd ${this.version.name} did not answer in 20 s: ${this.#logTail()}`);
  }

  // The directory goes with stop(): a failure carries containerd's last words.
  #logTail(): string {
    const lines = readFileSync(this.logPath, 'utf8').split('\n').filter((line) => !line.includes('level=debug'));
    return lines.slice(-8).join('\n');
  }

  async stopContainerd(): Promise<void> {
    if (!this.#containerd || this.#containerd.exitCode !== null) return;
    this.#containerd.kill('SIGTERM');
    await this.#containerdExited;
  }

  // Commands inside find this version's ctr first.
  #env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: pathFor(this.version) };
  }

  #namespaces(): string[] {
    return this.#options.network ? ['-m', '-n'] : ['-m'];
  }

  // Runs a command inside the namespace (ctr's FIFOs live there).
  exec(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return new Promise((resolve) => {
      const child = execFile('nsenter', ['-t', String(this.holderPid), ...this.#namespaces(), '--', command, ...args], { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20, env: this.#env() }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (options.input !== undefined) child.stdin!.end(options.input);
      else child.stdin!.end();
    });
  }

  // ctr in the namespace, talking to this containerd, in the default namespace unless told.
  ctr(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return this.exec('ctr', ['--address', this.socket, ...args], options);
  }

  // Spawns a command in the namespace and hands back the child, for long-running helpers.
  spawnInside(command: string, args: string[]): ChildProcess {
    return spawn('nsenter', ['-t', String(this.holderPid), ...this.#namespaces(), '--', command, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: this.#env() });
  }

  // Until `ctr task ls` shows the task running (a test signals it only then).
  async waitRunning(id: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm').test((await this.ctr(['task', 'ls'])).stdout)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`task ${id} was not running after ${timeoutMs} ms`);
  }

  // Spawns ctr in the namespace, for tests that signal or time it.
  spawnCtr(args: string[]): ChildProcess {
    return this.spawnInside('ctr', ['--address', this.socket, ...args]);
  }

  // Also removes what a failed test may have left: containers runc still holds, and their shims.
  async stop(): Promise<void> {
    if (this.#holder && this.#holder.exitCode === null) {
      await this.exec('sh', ['-c', 'for root in /run/containerd/wasmts/*; do for c in $(ls "$root" 2>/dev/null); do runc --root "$root" delete --force "$c"; done; done 2>/dev/null; true']);
    }
    await this.stopContainerd();
    for (const pid of pidsMatching((cmdline) => cmdline.includes('containerd-shim-wasmts-v1') && cmdline.includes(this.socket))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    if (this.#holder && this.#holder.exitCode === null) {
      const exited = new Promise((resolve) => this.#holder!.once('exit', resolve));
      this.#holder.kill('SIGKILL');
      await exited;
    }
    await new Promise((resolve) => execFile('umount', ['-R', join(this.dir, 'root')], resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
