// The node's running containerd, as its shims will see the node: they inherit its environment, so
// runc, `script` and the shim itself are looked up on containerd's PATH, not on the PATH of the
// operator's shell that runs `doctor` (a systemd unit's PATH is often shorter).
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

export interface ContainerdProcess {
  pid: number;
  // Its executable: containerd also looks for a shim beside it.
  executable: string;
  env: Map<string, string>;
}

export const DEFAULT_CONTAINERD_CONFIG = '/etc/containerd/config.toml';

export function parseEnviron(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of text.split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return env;
}

// The config a containerd command line names (`--config`, `-c`), or containerd's default.
export function configOf(argv: string[]): string {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config' || arg === '-c') return argv[i + 1] ?? DEFAULT_CONTAINERD_CONFIG;
    const inline = /^--?(?:config|c)=(.*)$/.exec(arg);
    if (inline) return inline[1]!;
  }
  return DEFAULT_CONTAINERD_CONFIG;
}

// The containerd daemon that reads `config` (others may run beside it: a test's, a kind node's).
export function findContainerd(config: string, proc = '/proc'): ContainerdProcess | undefined {
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(join(proc, entry, 'comm'), 'utf8').trim() !== 'containerd') continue;
      const argv = readFileSync(join(proc, entry, 'cmdline'), 'utf8').split('\0').filter(Boolean);
      if (argv.length > 1 && !argv[1]!.startsWith('-')) continue;
      if (resolve(configOf(argv)) !== resolve(config)) continue;
      return { pid: Number(entry), executable: readlinkSync(join(proc, entry, 'exe')), env: parseEnviron(readFileSync(join(proc, entry, 'environ'), 'utf8')) };
    } catch {
      // Gone, or not ours to read.
    }
  }
  return undefined;
}

const isExecutableFile = (path: string) => {
  try {
    const stat = statSync(path);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
};

// As Go's exec.LookPath: the first executable file of that name in PATH's directories.
export function lookPath(name: string, path: string | undefined, isExecutable = isExecutableFile): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

// Where containerd finds a shim binary by name: on its PATH, else beside its own executable.
export function shimFor(name: string, containerd: ContainerdProcess, isExecutable = isExecutableFile): string | undefined {
  return lookPath(name, containerd.env.get('PATH'), isExecutable) ?? (isExecutable(join(dirname(containerd.executable), name)) ? join(dirname(containerd.executable), name) : undefined);
}
