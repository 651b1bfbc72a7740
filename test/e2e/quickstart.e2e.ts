// The README's quickstart, line by line as written, on a node with CRI and a registry on
// localhost:5000: the shim's own lines run as they are (install pointed at the test node's config,
// without --restart: this node has no systemd; the VM suite shows the restart), and each kubectl line
// is done as the kubelet would, with CRI calls for what the manifest asks. Then the images of the
// other examples in configs/kubernetes/ are made the same way and run as their manifests say.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before } from '../before.ts';
import { ImageService, RuntimeService } from '../cri/client.ts';
import { startCriNode, stopCriNode, type CriNode } from './cri-node.ts';
import { CONTAINER_EXITED, CONTAINER_RUNNING, awaitLogLines, removePod, runPod, startContainer, status, waitState, type Pod } from './kubelet.ts';
import { until } from './poll.ts';

const root = join(import.meta.dirname, '../..');
const binary = join(root, 'dist/containerd-shim-wasmts-v1');
const work = mkdtempSync('/tmp/wasmts-quickstart-');
let node: CriNode;

before(test, async () => {
  node = await startCriNode(work);
});

test.after(() => stopCriNode(node, work));

// The lines between the README's quickstart markers, comments apart.
function quickstart(): { line: string; comment: string }[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- quickstart -->\n```sh\n([\s\S]*?)```\n<!-- \/quickstart -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no quickstart block between <!-- quickstart --> and <!-- /quickstart -->');
  return block.split('\n').filter(Boolean).map((text) => {
    const [line = '', comment = ''] = text.split(/\s+#\s*/);
    return { line: line.trim(), comment };
  });
}

// What the manifests say, for the kubelet's part: their one-level keys, read without a YAML library.
const field = (manifest: string, key: string) => new RegExp(`^\\s*${key}:\\s*"?([^"\\s]+)"?\\s*$`, 'm').exec(manifest)?.[1];
const manifest = (path: string) => readFileSync(join(root, path), 'utf8');

async function shim(args: string[]): Promise<string> {
  // Inside the node's network namespace: that is where localhost:5000 is.
  const result = await node.containerd.exec('sh', ['-c', `cd '${work}' && exec '${binary}' "$@"`, 'sh', ...args]);
  assert.is(result.code, 0, `containerd-shim-wasmts-v1 ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function podFromManifest(path: string, handler: string): Promise<{ pod: Pod; container: string }> {
  const text = manifest(path);
  assert.is(field(text, 'runtimeClassName'), 'wasmts', `${path} names the RuntimeClass`);
  const image = field(text, 'image')!;
  await node.cri.call(ImageService.method.pullImage, { image: { image } });
  const pod = await runPod(node.cri, join(work, 'logs'), { handler });
  const command = /^\s*command:\s*\["([^"]+)"\]/m.exec(text)?.[1];
  const container = await startContainer(node.cri, pod, { metadata: { name: 'c', attempt: 0 }, image: { image }, command: command ? [command] : [], logPath: 'c.log' });
  return { pod, container };
}

test('the README quickstart, as written: an example module, its image pushed, the RuntimeClass, the pod and its log', async () => {
  let handler = '';
  let pod: Pod | undefined;
  let container = '';
  try {
    for (const { line, comment } of quickstart()) {
      const [program, ...args] = line.split(/\s+/);
      if (program === 'containerd-shim-wasmts-v1' && args[0] === 'install') {
        const output = await shim([...args.filter((a) => a !== '--restart'), '--config', join(work, 'config.toml'), '--bin-dir', join(work, 'bin')]);
        assert.match(output, /wasmts/);
      } else if (program === 'containerd-shim-wasmts-v1') {
        await shim(args);
      } else if (program === 'kubectl' && args[0] === 'apply' && args[2]!.endsWith('runtimeclass.yaml')) {
        handler = field(manifest(args[2]!), 'handler')!;
        assert.is(handler, 'wasmts');
      } else if (program === 'kubectl' && args[0] === 'label') {
        // Scheduling onto labelled nodes is the scheduler's: one node here.
      } else if (program === 'kubectl' && args[0] === 'apply') {
        ({ pod, container } = await podFromManifest(args[2]!, handler));
      } else if (program === 'kubectl' && args[0] === 'logs') {
        assert.is(args[1], field(manifest('configs/kubernetes/hello-pod.yaml'), 'name'), 'the pod the manifest names');
        assert.is((await waitState(node.cri, container, CONTAINER_EXITED)).exitCode, 0);
        const lines = await awaitLogLines(pod!, 'c.log', (all) => all.length > 0);
        assert.equal(lines.map((l) => l.text), [comment]);
      } else throw new Error(`the quickstart has a line this test does not know: ${line}`);
    }
    assert.ok(container, 'the quickstart ran a pod');
  } finally {
    if (pod) await removePod(node.cri, pod);
  }
});

test('the Job and the Deployment of configs/kubernetes run the fail and sleep examples, pushed as the quickstart pushes', async () => {
  for (const name of ['fail', 'sleep']) {
    await shim(['image', 'example', name, '--output', `${name}.wasm`]);
    await shim(['image', 'build', `${name}.wasm`, '--tag', `localhost:5000/wasmts/${name}:v1`, '--push', '--plain-http']);
  }
  const job = await podFromManifest('configs/kubernetes/job.yaml', 'wasmts');
  try {
    assert.is((await waitState(node.cri, job.container, CONTAINER_EXITED)).exitCode, 3);
  } finally {
    await removePod(node.cri, job.pod);
  }
  const deployment = await podFromManifest('configs/kubernetes/deployment.yaml', 'wasmts');
  try {
    await waitState(node.cri, deployment.container, CONTAINER_RUNNING);
    await node.cri.call(RuntimeService.method.stopContainer, { containerId: deployment.container, timeout: 30n });
    assert.is((await status(node.cri, deployment.container)).exitCode, 143);
  } finally {
    await removePod(node.cri, deployment.pod);
  }
});

test('the wasi:http Deployment of configs/kubernetes serves the http example, pushed as the quickstart pushes, and drains on StopContainer', async () => {
  await shim(['image', 'example', 'http', '--output', 'http-hello.wasm']);
  const path = 'configs/kubernetes/http-component.yaml';
  const image = field(manifest(path), 'image')!;
  await shim(['image', 'build', 'http-hello.wasm', '--tag', image, '--push', '--plain-http']);
  const port = /^\s*- containerPort:\s*(\d+)\s*$/m.exec(manifest(path))?.[1];
  assert.ok(port, `${path} names the container's port`);
  const server = await podFromManifest(path, 'wasmts');
  try {
    await waitState(node.cri, server.container, CONTAINER_RUNNING);
    const ip = (await node.cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: server.pod.id })).status!.network!.ip;
    // From the node's network namespace, as a Service's endpoints or a readiness probe reach the pod.
    const hello = await until(async () => {
      const result = await node.containerd.exec('curl', ['-sS', '--max-time', '60', `http://${ip}:${port}/`]);
      return result.code === 0 && result.stdout;
    }, `the server answering on ${ip}:${port}`);
    assert.is(hello, 'Hello from a wasi:http component, run by wasmts: you asked for /\n');
    await node.cri.call(RuntimeService.method.stopContainer, { containerId: server.container, timeout: BigInt(field(manifest(path), 'terminationGracePeriodSeconds')!) });
    assert.is((await status(node.cri, server.container)).exitCode, 0, 'an HTTP server drains on SIGTERM and exits 0');
  } finally {
    await removePod(node.cri, server.pod);
  }
});

test('the artifact pod runs the hello example as a wasm OCI artifact (where containerd pulls non-tar layers)', async () => {
  // containerd 1.6.20 predates non-tar layers (1.6.25, 1.7.7), as the manifest says: images.e2e.ts shows its refusal.
  if (node.containerd.version.name === '1.6') return;
  await shim(['image', 'example', 'hello', '--output', 'hello.wasm']);
  await shim(['image', 'build', 'hello.wasm', '--artifact', '--tag', 'localhost:5000/wasmts/hello-artifact:v1', '--push', '--plain-http']);
  const artifact = await podFromManifest('configs/kubernetes/artifact-pod.yaml', 'wasmts');
  try {
    assert.is((await waitState(node.cri, artifact.container, CONTAINER_EXITED)).exitCode, 0);
    const lines = await awaitLogLines(artifact.pod, 'c.log', (all) => all.length > 0);
    assert.equal(lines.map((l) => l.text), ['Hello from WebAssembly, run by wasmts']);
  } finally {
    await removePod(node.cri, artifact.pod);
  }
});

test.run();
