// critest on the VM's node (cgroup v2, systemd as PID 1, containerd as a systemd service with the
// systemd cgroup driver): what runc passes there passes on wasmts, as on the host. It runs on the
// VM pass with containerd 2.3 and the systemd driver only: under emulation one critest run takes
// several minutes, and the other passes add nothing critest would tell apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { before } from '../before.ts';
import { PrivateRegistry } from '../e2e/registry.ts';
import { HANDLER } from '../e2e/kubelet.ts';
import { count, type SpecOutcome } from '../critest/report.ts';
import { CRI_TOOLS_VERSION, runCritest } from '../critest/run.ts';
import { critestProblems } from '../critest/verdict.ts';
import { startVmNode, stopVmNode, vmPlace, type VmNode } from './node.ts';

const enabled = process.env.WASMTS_VM_DRIVER === 'systemd' && process.env.WASMTS_CONTAINERD === '2.3';
const work = mkdtempSync('/tmp/wasmts-vm-critest-');
let node: VmNode | undefined;
let registry: PrivateRegistry | undefined;
let runc: Map<string, SpecOutcome>;

// The images the host built (test/critest/images.ts) and named in WASMTS_VM_CRITEST_IMAGES.
function hostImages(): { archive: string; path: string }[] {
  const images = process.env.WASMTS_VM_CRITEST_IMAGES;
  if (!images) throw new Error('WASMTS_VM_CRITEST_IMAGES is not set: this file runs inside the VM, started by node test/run.ts vm');
  return JSON.parse(images);
}

if (enabled) {
  before(test, async () => {
    node = await startVmNode('systemd');
    registry = new PrivateRegistry(vmPlace, work);
    await registry.start();
    for (const { archive, path } of hostImages()) await registry.push(archive, path);
  });
  test.after(async () => {
    await registry?.stop();
    stopVmNode(node);
  });

  const summary = (outcomes: Map<string, SpecOutcome>) => `${count(outcomes, 'passed')} passed, ${count(outcomes, 'failed') + count(outcomes, 'timedout') + count(outcomes, 'panicked')} failed, ${count(outcomes, 'skipped')} skipped`;

  test(`critest ${CRI_TOOLS_VERSION} on the runc handler with the systemd driver: the reference`, async () => {
    const run = await runCritest(vmPlace, 'runc', join(work, 'runc.json'));
    runc = run.outcomes;
    console.log(`critest runc (VM, containerd 2.3, systemd): ${summary(runc)} in ${run.seconds} s`);
    for (const [name, outcome] of runc) if (outcome.state !== 'passed' && outcome.state !== 'skipped') console.log(`  runc ${outcome.state}: ${name}: ${outcome.failure?.split('\n')[0]}`);
    const ran = runc.size - count(runc, 'skipped');
    assert.ok(count(runc, 'passed') >= ran * 0.85, `runc passes only ${count(runc, 'passed')} of the ${ran} specs it ran: the VM's node or the images are broken\n${run.output.slice(-4000)}`);
  });

  test(`critest ${CRI_TOOLS_VERSION} on wasmts with the systemd driver: what runc passes passes`, async () => {
    const run = await runCritest(vmPlace, HANDLER, join(work, 'wasmts.json'));
    console.log(`critest wasmts (VM, containerd 2.3, systemd): ${summary(run.outcomes)} in ${run.seconds} s`);
    assert.equal(critestProblems(runc, run.outcomes, node!.version, (line) => console.log(line)), []);
  });
}

test.run();
