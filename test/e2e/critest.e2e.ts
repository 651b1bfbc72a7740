// containerd's CRI validation suite, critest, against the wasmts runtime handler: every spec that
// passes on the runc handler of the same node passes on wasmts, except the few where containerd
// itself gives a non-runc handler less on some versions (test/critest/containerd-limits.ts). That
// list is exact: a listed spec that passes, or an unlisted one that fails, fails this file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../before.ts';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { buildCritestImages, writeMirrorHosts } from '../critest/images.ts';
import { count, type SpecOutcome } from '../critest/report.ts';
import { critestProblems } from '../critest/verdict.ts';
import { CRI_TOOLS_BIN, CRI_TOOLS_VERSION, runCritest } from '../critest/run.ts';
import { introspectsEveryHandler } from '../critest/containerd-limits.ts';
import { startCriNode, stopCriNode, type CriNode } from './cri-node.ts';
import { HANDLER } from './kubelet.ts';

const work = mkdtempSync('/tmp/wasmts-critest-');
let node: CriNode;
let runc: Map<string, SpecOutcome>;

before(test, async () => {
  node = await startCriNode(work, undefined, { hostPorts: true });
  writeMirrorHosts(join(work, 'certs.d'));
  for (const { archive, path } of await buildCritestImages(join(work, 'images'))) await node.registry.push(archive, path);
});

test.after(() => stopCriNode(node, work));

const summary = (outcomes: Map<string, SpecOutcome>) => `${count(outcomes, 'passed')} passed, ${count(outcomes, 'failed') + count(outcomes, 'timedout') + count(outcomes, 'panicked')} failed, ${count(outcomes, 'skipped')} skipped`;

test(`critest ${CRI_TOOLS_VERSION} on the runc handler: the reference`, async () => {
  const run = await runCritest(node.containerd, 'runc', join(work, 'runc.json'));
  runc = run.outcomes;
  console.log(`critest runc (containerd ${node.containerd.version.name}): ${summary(runc)} in ${run.seconds} s`);
  for (const [name, outcome] of runc) if (outcome.state !== 'passed' && outcome.state !== 'skipped') console.log(`  runc ${outcome.state}: ${name}: ${outcome.failure}`);
  // The comparison means something only on a node where runc passes critest: about 1 in 10 of the
  // specs it runs fail for runc here (the host, the images' stand-ins), far more is a broken node.
  const ran = runc.size - count(runc, 'skipped');
  assert.ok(count(runc, 'passed') >= ran * 0.85, `runc passes only ${count(runc, 'passed')} of the ${ran} specs it ran: the node or the images are broken\n${run.output.slice(-4000)}`);
});

// containerd asks each handler's shim for its features (`-info`) when CRI starts: 2.3 every handler,
// 2.0 and 2.1 only runc-typed ones, 1.x none.
test('CRI gives the wasmts handler the features it gives runc (recursive read-only mounts, user namespaces)', async () => {
  if (!introspectsEveryHandler(node.containerd.version)) return;
  const info = await node.containerd.exec(join(CRI_TOOLS_BIN, 'crictl'), ['--runtime-endpoint', `unix://${node.containerd.socket}`, 'info', '-o', 'json']);
  assert.is(info.code, 0, info.stderr);
  const handlers = (JSON.parse(info.stdout) as { runtimeHandlers?: { name: string; features?: unknown }[] }).runtimeHandlers ?? [];
  const features = (name: string) => handlers.find((h) => h.name === name)?.features;
  assert.ok(features('runc'), info.stdout);
  assert.equal(features(HANDLER), features('runc'));
});

test(`critest ${CRI_TOOLS_VERSION} on wasmts: what runc passes passes, but for containerd's own limits (listed exactly)`, async () => {
  const run = await runCritest(node.containerd, HANDLER, join(work, 'wasmts.json'));
  console.log(`critest wasmts (containerd ${node.containerd.version.name}): ${summary(run.outcomes)} in ${run.seconds} s`);
  const problems = critestProblems(runc, run.outcomes, node.containerd.version, (line) => console.log(line));
  assert.equal(problems, []);
});

test.run();
