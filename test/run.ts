// Runs spec files (uvu, one process each) and ends with the line CI reads: `N passed, N failed`.
// A file that crashes or prints no totals counts as one failure, so a broken file cannot pass unseen.
// End-to-end files run once per containerd version (WASMTS_CONTAINERD_VERSIONS=1.6,2.3 narrows it),
// versions side by side (WASMTS_E2E_JOBS at a time, default 2), each file's output printed whole
// when it ends, under a header naming the version.
// `vm` boots the cgroup v2 + systemd VM (test/vm/suite.ts), which runs `vm-guest`: the test/vm files,
// once per containerd version and driver of VM_PASSES. `all` is unit, e2e, then vm.
// Usage: node test/run.ts unit|e2e|vm|all [filter]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CONTAINERD_VERSIONS } from '../scripts/containerd-versions.ts';

const root = join(import.meta.dirname, '..');
const [kind = 'unit', filter = ''] = process.argv.slice(2);

function find(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out.sort();
}

const unit = () => ['shim', 'oci', 'runtime', 'scripts', 'test'].flatMap((dir) => find(join(root, dir), '.spec.ts'));
const e2e = () => find(join(root, 'test/e2e'), '.e2e.ts');
const versions = (process.env.WASMTS_CONTAINERD_VERSIONS || CONTAINERD_VERSIONS.map((v) => v.name).join(',')).split(',').filter(Boolean);
const jobs = Math.max(1, Number(process.env.WASMTS_E2E_JOBS || 2));

// A file that hangs (a handle left open) fails instead of holding CI to its time limit.
const UNIT_TIMEOUT_MS = 120_000;
const E2E_TIMEOUT_MS = 900_000;
const VM_FILE_TIMEOUT_MS = 1_200_000;

interface Outcome {
  label: string;
  passed: number;
  failed: number;
}

function runFile(file: string, label: string, env: NodeJS.ProcessEnv, timeoutMs: number, stream: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-warnings', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let output = '';
    const header = `\n# ${label}\n`;
    if (stream) process.stdout.write(header);
    const timer = setTimeout(() => {
      output += `\n# ${label} did not finish in ${timeoutMs / 1000} s: killed\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    const take = (chunk: Buffer) => {
      output += chunk;
      if (stream) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!stream) process.stdout.write(header + output);
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      if (signal || Number.isNaN(total) || Number.isNaN(passed)) return resolve({ label, passed: 0, failed: 1 });
      resolve({ label, passed, failed: total - passed + (code !== 0 && total === passed ? 1 : 0) });
    });
  });
}

const outcomes: Outcome[] = [];
const selected = (files: string[]) => files.filter((f) => f.includes(filter));
if (kind === 'unit' || kind === 'all') {
  for (const file of selected(unit())) outcomes.push(await runFile(file, relative(root, file), {}, UNIT_TIMEOUT_MS, true));
}
if (kind === 'e2e' || kind === 'all') {
  const files = selected(e2e());
  const lanes = versions.map((version) => async () => {
    for (const file of files) outcomes.push(await runFile(file, `${relative(root, file)} (containerd ${version})`, { WASMTS_CONTAINERD: version }, E2E_TIMEOUT_MS, jobs === 1));
  });
  const running = new Set<Promise<void>>();
  for (const lane of lanes) {
    const run = lane().finally(() => running.delete(run));
    running.add(run);
    if (running.size >= jobs) await Promise.race(running);
  }
  await Promise.all(running);
}
if (kind === 'vm-guest') {
  const { VM_PASSES } = await import('./vm/suite.ts');
  for (const pass of VM_PASSES) {
    for (const file of selected(find(join(root, 'test/vm'), '.vm.ts'))) {
      outcomes.push(await runFile(file, `${relative(root, file)} (containerd ${pass.containerd}, ${pass.driver})`, { WASMTS_CONTAINERD: pass.containerd, WASMTS_VM_DRIVER: pass.driver }, VM_FILE_TIMEOUT_MS, true));
    }
  }
}
if (kind === 'vm' || kind === 'all') {
  const { runVmSuite } = await import('./vm/suite.ts');
  process.stdout.write('\n# test/vm (cgroup v2 + systemd, in a VM)\n');
  outcomes.push({ label: 'test/vm', ...(await runVmSuite((text) => process.stdout.write(text))) });
}
const passed = outcomes.reduce((sum, o) => sum + o.passed, 0);
const failed = outcomes.reduce((sum, o) => sum + o.failed, 0);
for (const o of outcomes.filter((o) => o.failed > 0)) console.log(`FAILED: ${o.label}: ${o.failed}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
