// `doctor`: checks what wasmts needs on this node and says what to fix.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasHandler, HANDLER } from './containerd-config.ts';
import { BINARY_NAME, DEFAULT_BIN_DIR, type InstallOptions } from './install.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

function run(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return undefined;
  }
}

export function containerdVersionCheck(output: string | undefined): Check {
  const match = output && /\s(v?\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!match) return { name: 'containerd', ok: false, detail: 'containerd is not on PATH: install containerd 1.6 or later' };
  const [major, minor] = [Number(match[1]!.replace('v', '')), Number(match[2])];
  const version = `${major}.${minor}.${match[3]}`;
  if (major === 1 && minor < 6) return { name: 'containerd', ok: false, detail: `containerd ${version} is too old: wasmts needs 1.6 or later` };
  return { name: 'containerd', ok: true, detail: `containerd ${version}` };
}

export function doctorChecks(options: InstallOptions): Check[] {
  const checks: Check[] = [containerdVersionCheck(run('containerd', ['--version']))];
  const runc = run('runc', ['--version']);
  checks.push(runc
    ? { name: 'runc', ok: true, detail: runc.split('\n')[0]! }
    : { name: 'runc', ok: false, detail: 'runc is not on PATH: install it (apt-get install runc); wasmts runs every container with runc' });
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  checks.push({ name: 'cgroups', ok: true, detail: v2 ? 'cgroup v2 (unified)' : 'cgroup v1 (or hybrid)' });
  const config = existsSync(options.config) ? readFileSync(options.config, 'utf8') : undefined;
  if (config === undefined) checks.push({ name: 'handler', ok: false, detail: `${options.config} does not exist: run containerd-shim-wasmts-v1 install` });
  else {
    checks.push(hasHandler(config)
      ? { name: 'handler', ok: true, detail: `${options.config} has the "${HANDLER}" runtime handler` }
      : { name: 'handler', ok: false, detail: `${options.config} has no "${HANDLER}" runtime handler: run containerd-shim-wasmts-v1 install` });
    const systemd = /^\s*SystemdCgroup\s*=\s*true/m.test(config);
    checks.push({ name: 'cgroup driver', ok: true, detail: systemd ? 'systemd (wasmts passes --systemd-cgroup to runc for systemd cgroup paths)' : 'cgroupfs' });
  }
  const installed = join(options.binDir || DEFAULT_BIN_DIR, BINARY_NAME);
  checks.push(existsSync(installed)
    ? { name: 'binary', ok: true, detail: installed }
    : { name: 'binary', ok: false, detail: `${installed} is missing: run containerd-shim-wasmts-v1 install (containerd looks for the shim on its PATH)` });
  return checks;
}

export function printChecks(checks: Check[], log: (line: string) => void): boolean {
  for (const check of checks) log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(14)} ${check.detail}`);
  return checks.every((check) => check.ok);
}
