// `install`, `uninstall`: put this binary where containerd finds it and add the wasmts handler to
// containerd's config (or take both away again), then say what is left for the operator to do.
import { copyFileSync, chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { addHandler, HANDLER, removeHandler } from './containerd-config.ts';

export const BINARY_NAME = 'containerd-shim-wasmts-v1';
export const DEFAULT_CONFIG = '/etc/containerd/config.toml';
export const DEFAULT_BIN_DIR = '/usr/local/bin';

export interface InstallOptions {
  config: string;
  binDir: string;
  restart: boolean;
}

export function parseInstallArgs(args: string[]): InstallOptions {
  const options: InstallOptions = { config: DEFAULT_CONFIG, binDir: DEFAULT_BIN_DIR, restart: false };
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
    else throw new Error(`unknown option ${arg}: install and uninstall take --config FILE, --bin-dir DIR and --restart`);
  }
  return options;
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.wasmts-tmp`, text);
  renameSync(`${path}.wasmts-tmp`, path);
}

export const RUNTIME_CLASS = `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${HANDLER}
handler: ${HANDLER}
`;

function restartContainerd(log: (line: string) => void): void {
  if (existsSync('/run/systemd/system')) {
    execFileSync('systemctl', ['restart', 'containerd'], { stdio: 'inherit' });
    log('restarted containerd (systemctl restart containerd)');
  } else {
    log('this node has no systemd: restart containerd the way it was started, for the change to take effect');
  }
}

export function install(options: InstallOptions, self: string, log: (line: string) => void): void {
  const target = join(options.binDir, BINARY_NAME);
  if (!existsSync(target) || realpathSync(target) !== realpathSync(self)) {
    copyFileSync(self, `${target}.wasmts-tmp`);
    chmodSync(`${target}.wasmts-tmp`, 0o755);
    renameSync(`${target}.wasmts-tmp`, target);
    log(`installed ${target}`);
  } else log(`${target} is this binary already`);
  const text = existsSync(options.config) ? readFileSync(options.config, 'utf8') : '';
  const result = addHandler(text);
  if (result.note) log(result.note);
  if (result.changed) {
    if (!existsSync(dirname(options.config))) throw new Error(`${dirname(options.config)} does not exist: is containerd installed? Pass --config FILE`);
    writeAtomically(options.config, result.text);
    log(`added the "${HANDLER}" runtime handler to ${options.config}`);
    if (options.restart) restartContainerd(log);
    else log('restart containerd for the handler to take effect (or run install again with --restart)');
  } else if (!result.note) log(`${options.config} has the "${HANDLER}" handler already`);
  log(`\napply this RuntimeClass (kubectl apply -f -), then set runtimeClassName: ${HANDLER} on pods:\n\n${RUNTIME_CLASS}`);
}

export function uninstall(options: InstallOptions, log: (line: string) => void): void {
  if (existsSync(options.config)) {
    const result = removeHandler(readFileSync(options.config, 'utf8'));
    if (result.changed) {
      writeAtomically(options.config, result.text);
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
