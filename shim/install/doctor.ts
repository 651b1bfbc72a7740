// `doctor`: checks what wasmts needs on this node and says what to fix.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findContainerd, lookPath, shimFor, type ContainerdProcess } from './containerd-process.ts';
import { configVersion, handlerTable, hasHandler, HANDLER, usesSystemd, WASM_PLATFORMS } from './containerd-config.ts';
import { BINARY_NAME, DEFAULT_BIN_DIR, type InstallOptions } from './install.ts';

export interface Check {
  name: string;
  ok: boolean;
  // Passing, but something only some pods need is missing: printed, and doctor still exits 0.
  warning?: boolean;
  detail: string;
}

function run(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return undefined;
  }
}

export interface ContainerdVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseContainerdVersion(output: string | undefined): ContainerdVersion | undefined {
  const match = output && /\s(v?\d+)\.(\d+)\.(\d+)/.exec(output);
  return match ? { major: Number(match[1]!.replace('v', '')), minor: Number(match[2]), patch: Number(match[3]) } : undefined;
}

export function containerdVersionCheck(output: string | undefined): Check {
  const parsed = parseContainerdVersion(output);
  if (!parsed) return { name: 'containerd', ok: false, detail: 'containerd is not on PATH: install containerd 1.6 or later' };
  const { major, minor, patch } = parsed;
  const version = `${major}.${minor}.${patch}`;
  if (major === 1 && minor < 6) return { name: 'containerd', ok: false, detail: `containerd ${version} is too old: wasmts needs 1.6 or later` };
  // Non-tar layers (wasm OCI artifacts) pull from 1.6.25 and 1.7.7 on; older ones unpack every layer.
  const artifacts = major >= 2 || (minor === 6 && patch >= 25) || (minor === 7 && patch >= 7) || minor > 7;
  // Before 1.6.22 containerd closes a task's log FIFOs before it has read them out (its PR #8643).
  const logs = major >= 2 || minor > 6 || patch >= 22;
  const notes = [
    artifacts ? '' : 'wasm OCI artifacts (application/wasm layers) cannot be pulled before 1.6.25 / 1.7.7; images with the module in a tar layer work',
    logs ? '' : 'before 1.6.22 the last (up to 64 KiB) of a container\'s CRI log can be lost when it exits, for every runtime: upgrade to see it all',
  ].filter(Boolean);
  return { name: 'containerd', ok: true, detail: `containerd ${version}${notes.length ? `: ${notes.join('; ')}` : ''}` };
}

// containerd 2.x unpacks a wasm image only if install's part of the config is there (containerd-config.ts).
export function imagePullCheck(version: ContainerdVersion | undefined, config: string): Check | undefined {
  if (!version || version.major < 2) return undefined;
  const local = /^\s*use_local_image_pull\s*=\s*true/m.test(config);
  const unpack = WASM_PLATFORMS.every((platform) => config.includes(`platform = "${platform}"`) || config.includes(`platform = '${platform}'`));
  const side = `side-load wasm images with \`ctr -n k8s.io images import --platform wasip1/wasm\``;
  if (local && unpack) return { name: 'wasm images', ok: true, detail: `pulls unpack wasm images (use_local_image_pull, unpack_config); ${side}` };
  const missing = [local ? '' : 'use_local_image_pull = true', unpack ? '' : `unpack_config entries for ${WASM_PLATFORMS.join(', ')}`].filter(Boolean).join(' and ');
  return { name: 'wasm images', ok: false, detail: `containerd ${version.major}.${version.minor} will not unpack wasm images without ${missing}: run containerd-shim-wasmts-v1 install; ${side}` };
}

// Both handlers must pass runc one driver, the kubelet's: with two, a pod's wasm containers land
// outside its cgroup, and its metrics and limits break.
export function cgroupDriverCheck(config: string, systemdRunning: boolean): Check {
  let version;
  try {
    version = configVersion(config);
  } catch (error) {
    return { name: 'cgroup driver', ok: false, detail: (error as Error).message };
  }
  const [runc, ours] = [usesSystemd(config, version), usesSystemd(config, version, HANDLER)];
  const name = (systemd: boolean) => (systemd ? 'systemd' : 'cgroupfs');
  if (runc !== ours) {
    return { name: 'cgroup driver', ok: false, detail: `runc's handler uses the ${name(runc)} driver but the ${HANDLER} handler ${name(ours)}: pod metrics and limits break; run containerd-shim-wasmts-v1 install again (it copies runc's SystemdCgroup) or set SystemdCgroup = ${runc} under ${handlerTable(version).slice(0, -1)}.options]` };
  }
  if (ours && !systemdRunning) return { name: 'cgroup driver', ok: false, detail: 'SystemdCgroup = true, but systemd is not running on this node: set it to false for runc and wasmts (and cgroupDriver: cgroupfs for the kubelet)' };
  return { name: 'cgroup driver', ok: true, detail: `${name(ours)}, the same for runc and ${HANDLER}` };
}

// Terminals for native containers and execs (tty: true, kubectl exec -t) run runc under util-linux
// `script` (container/runc.ts). Every other pod runs without it, so a node lacking it is warned, not failed.
export function scriptCheck(versionOutput: string | undefined, where = 'PATH'): Check {
  if (versionOutput) return { name: 'script', ok: true, detail: versionOutput.split('\n')[0]! };
  return {
    name: 'script',
    ok: true,
    warning: true,
    detail: `script (util-linux) is not on ${where}: terminals for native containers and execs (tty: true, kubectl exec -it) fail without it, everything else works; install it (Debian and Ubuntu: apt-get install bsdutils, which ships /usr/bin/script; elsewhere util-linux)`,
  };
}

// A wasm container's runner is left to PID 1 once `runc run --detach` is done (container/runc.ts):
// the shim hears its exit all the same, but only a reaping PID 1 (systemd, tini) clears the process.
export function reaperCheck(pid1: string, reaped: boolean): Check {
  if (reaped) return { name: 'reaper', ok: true, detail: `orphans are reaped (PID 1 is ${pid1})` };
  return {
    name: 'reaper',
    ok: true,
    warning: true,
    detail: `an orphan was left unreaped (PID 1 is ${pid1}): every wasm container that ends would stay a zombie process; run the node's containerd under an init that reaps orphans (systemd, or tini -s)`,
  };
}

// An orphan of our own (a child of a shell that exits at once): reaped if it is gone within a second.
function orphanReaped(): boolean {
  const pid = Number(run('sh', ['-c', 'sleep 0 & echo $!']));
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 1000; waited += 20) {
    if (!existsSync(`/proc/${pid}`)) return true;
    Atomics.wait(pause, 0, 0, 20);
  }
  return false;
}

// The programs the shim runs, found where its processes will look: on the running containerd's
// PATH (its shims inherit its environment), else, with no containerd running, on this shell's.
export function toolChecks(containerd: ContainerdProcess | undefined, installed: string, version: (file: string) => string | undefined, isExecutable?: (path: string) => boolean): Check[] {
  const path = containerd ? containerd.env.get('PATH') : process.env.PATH;
  // With no containerd running (a node being set up), the shell's PATH is the best guess.
  const where = containerd ? `containerd's PATH (pid ${containerd.pid}: ${path ?? 'none set'})` : 'PATH';
  const chosenRunc = containerd ? containerd.env.get('WASMTS_RUNC') : process.env.WASMTS_RUNC;
  const runc = lookPath(chosenRunc || 'runc', path, isExecutable);
  const runcVersion = runc && version(runc);
  const checks: Check[] = [runcVersion
    ? { name: 'runc', ok: true, detail: `${runc}: ${runcVersion.split('\n')[0]!}` }
    : { name: 'runc', ok: false, detail: `${chosenRunc || 'runc'} is not on ${where}: install it (apt-get install runc) or set WASMTS_RUNC in containerd's environment; wasmts runs every container with runc` }];
  const script = lookPath('script', path, isExecutable);
  checks.push(scriptCheck(script && version(script), where));
  if (!containerd) {
    checks.push(lookPath(installed, undefined, isExecutable)
      ? { name: 'binary', ok: true, detail: installed }
      : { name: 'binary', ok: false, detail: `${installed} is missing: run containerd-shim-wasmts-v1 install (containerd looks for the shim on its PATH)` });
    return checks;
  }
  const found = shimFor(BINARY_NAME, containerd, isExecutable);
  if (!found) checks.push({ name: 'binary', ok: false, detail: `containerd cannot find ${BINARY_NAME} on ${where} or beside ${containerd.executable}: run containerd-shim-wasmts-v1 install --bin-dir with one of those directories` });
  else if (found !== installed) checks.push({ name: 'binary', ok: true, warning: true, detail: `containerd runs ${found}, not ${installed}: remove the one you do not mean, or install with --bin-dir ${dirname(found)}` });
  else checks.push({ name: 'binary', ok: true, detail: `${installed}, on ${where}` });
  return checks;
}

export function doctorChecks(options: InstallOptions): Check[] {
  const containerd = findContainerd(options.config);
  const versionOutput = run(containerd?.executable ?? 'containerd', ['--version']);
  const checks: Check[] = [containerdVersionCheck(versionOutput)];
  const installed = join(options.binDir || DEFAULT_BIN_DIR, BINARY_NAME);
  const [runc, script, binary] = toolChecks(containerd, installed, (file) => run(file, ['--version']));
  checks.push(runc!, script!);
  checks.push(reaperCheck(readFileSync('/proc/1/comm', 'utf8').trim(), orphanReaped()));
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  checks.push({ name: 'cgroups', ok: true, detail: v2 ? 'cgroup v2 (unified)' : 'cgroup v1 (or hybrid)' });
  const config = existsSync(options.config) ? readFileSync(options.config, 'utf8') : undefined;
  if (config === undefined) checks.push({ name: 'handler', ok: false, detail: `${options.config} does not exist: run containerd-shim-wasmts-v1 install` });
  else {
    checks.push(hasHandler(config)
      ? { name: 'handler', ok: true, detail: `${options.config} has the "${HANDLER}" runtime handler` }
      : { name: 'handler', ok: false, detail: `${options.config} has no "${HANDLER}" runtime handler: run containerd-shim-wasmts-v1 install` });
    const images = imagePullCheck(parseContainerdVersion(versionOutput), config);
    if (images) checks.push(images);
    checks.push(cgroupDriverCheck(config, existsSync('/run/systemd/system')));
  }
  checks.push(binary!);
  return checks;
}

export function printChecks(checks: Check[], log: (line: string) => void): boolean {
  for (const check of checks) log(`${!check.ok ? 'FAIL' : check.warning ? 'WARN' : 'ok  '} ${check.name.padEnd(14)} ${check.detail}`);
  return checks.every((check) => check.ok);
}
