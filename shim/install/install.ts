// `install`, `uninstall`: put this binary where containerd finds it and add the wasmts handler to
// containerd's config (or take both away again), then say what is left for the operator to do.
import { chmodSync, chownSync, copyFileSync, existsSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { RUNC_ROOT_DIR } from '../runc-root.ts';
import { addHandler, HANDLER, removeHandler } from './containerd-config.ts';

export const BINARY_NAME = 'containerd-shim-wasmts-v1';
export const DEFAULT_CONFIG = '/etc/containerd/config.toml';
export const DEFAULT_BIN_DIR = '/usr/local/bin';

export interface InstallOptions {
  config: string;
  binDir: string;
  restart: boolean;
  force: boolean;
}

export function parseInstallArgs(args: string[]): InstallOptions {
  const options: InstallOptions = { config: DEFAULT_CONFIG, binDir: DEFAULT_BIN_DIR, restart: false, force: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--config') options.config = value();
    else if (arg === '--bin-dir') options.binDir = value();
    else if (arg === '--restart') options.restart = true;
    else if (arg === '--force') options.force = true;
    else throw new Error(`unknown option ${arg}: install and uninstall take --config FILE, --bin-dir DIR, --restart and --force (see containerd-shim-wasmts-v1 help install)`);
  }
  return options;
}

// Writes through a symlink to the real file, keeping its mode and owner (it may hold registry
// credentials), and replaces it in one rename.
function rewriteConfig(path: string, text: string): void {
  const real = existsSync(path) ? realpathSync(path) : path;
  const before = existsSync(real) ? statSync(real) : undefined;
  const staging = `${real}.wasmts-tmp`;
  writeFileSync(staging, text, { mode: before ? before.mode & 0o7777 : 0o644 });
  if (before) {
    chmodSync(staging, before.mode & 0o7777);
    chownSync(staging, before.uid, before.gid);
  }
  renameSync(staging, real);
}

function restartContainerd(log: (line: string) => void): void {
  if (existsSync('/run/systemd/system')) {
    execFileSync('systemctl', ['restart', 'containerd'], { stdio: 'inherit' });
    log('restarted containerd (systemctl restart containerd)');
  } else {
    log('this node has no systemd: restart containerd the way it was started, for the change to take effect');
  }
}

export function install(options: InstallOptions, self: string, runtimeClass: string, log: (line: string) => void): void {
  // The config is checked before anything is written: a refusal leaves the node as it was.
  const text = existsSync(options.config) ? readFileSync(options.config, 'utf8') : '';
  const result = addHandler(text);
  if (result.changed && !existsSync(dirname(options.config))) throw new Error(`${dirname(options.config)} does not exist: is containerd installed? Pass --config FILE`);
  const target = join(options.binDir, BINARY_NAME);
  if (!existsSync(target) || realpathSync(target) !== realpathSync(self)) {
    copyFileSync(self, `${target}.wasmts-tmp`);
    chmodSync(`${target}.wasmts-tmp`, 0o755);
    renameSync(`${target}.wasmts-tmp`, target);
    log(`installed ${target}`);
  } else log(`${target} is this binary already`);
  if (result.note) log(result.note);
  if (result.changed) {
    rewriteConfig(options.config, result.text);
    log(`added the "${HANDLER}" runtime handler to ${options.config}`);
    if (options.restart) restartContainerd(log);
    else log('restart containerd for the handler to take effect (or run install again with --restart)');
  } else if (!result.note) log(`${options.config} has the "${HANDLER}" handler already`);
  log(`\nlabel the nodes that have wasmts, apply this RuntimeClass, then set runtimeClassName: ${HANDLER} on pods:\n`);
  log(`  kubectl label node NODE wasmts.io/enabled=true\n  kubectl apply -f - <<'EOF'\n${runtimeClass.trimEnd()}\nEOF`);
}

// Containers runc still holds for wasmts: uninstalling now would leave containerd unable to run
// this binary's `delete` for them.
function runningContainers(): string[] {
  if (!existsSync(RUNC_ROOT_DIR)) return [];
  return readdirSync(RUNC_ROOT_DIR).flatMap((namespace) => readdirSync(join(RUNC_ROOT_DIR, namespace)).map((id) => `${namespace}/${id}`));
}

export function uninstall(options: InstallOptions, log: (line: string) => void): void {
  const running = runningContainers();
  if (running.length > 0 && !options.force) {
    throw new Error(`${running.length} wasmts container(s) still exist (${running.slice(0, 3).join(', ')}${running.length > 3 ? ', ...' : ''}): drain the node first, or pass --force`);
  }
  if (existsSync(options.config)) {
    const result = removeHandler(readFileSync(options.config, 'utf8'));
    if (result.changed) {
      rewriteConfig(options.config, result.text);
      log(`removed the "${HANDLER}" handler from ${options.config}`);
      if (options.restart) restartContainerd(log);
    } else log(`${options.config} has no handler added by install`);
  }
  const target = join(options.binDir, BINARY_NAME);
  if (existsSync(target)) {
    rmSync(target);
    log(`removed ${target}`);
  }
  log(`delete the RuntimeClass too if nothing else uses it: kubectl delete runtimeclass ${HANDLER}`);
}
