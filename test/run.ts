// Runs spec files (uvu, one process each) and ends with the line CI reads: `N passed, N failed`.
// A file that crashes or prints no totals counts as one failure, so a broken file cannot pass unseen.
// Usage: node test/run.ts unit|e2e|all [filter]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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
const files = kind === 'e2e' ? e2e() : kind === 'all' ? [...unit(), ...e2e()] : unit();

// A file that hangs (a handle left open) fails instead of holding CI to its time limit.
const FILE_TIMEOUT_MS = kind === 'unit' ? 120_000 : 900_000;

function runFile(file: string): Promise<{ passed: number; failed: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-warnings', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => {
      process.stdout.write(`\n# ${relative(root, file)} did not finish in ${FILE_TIMEOUT_MS / 1000} s: killed\n`);
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal) return resolve({ passed: 0, failed: 1 });
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      if (Number.isNaN(total) || Number.isNaN(passed)) return resolve({ passed: 0, failed: 1 });
      const failed = total - passed + (code !== 0 && total === passed ? 1 : 0);
      resolve({ passed, failed });
    });
  });
}

let passed = 0;
let failed = 0;
for (const file of files.filter((f) => f.includes(filter))) {
  process.stdout.write(`\n# ${relative(root, file)}\n`);
  const result = await runFile(file);
  passed += result.passed;
  failed += result.failed;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
