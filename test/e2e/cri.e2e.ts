// containerd's real CRI plugin, driven the way the kubelet drives it, runs pods through the wasmts
// handler: a native pause sandbox, wasm containers, native sidecars.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../before.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { ImageService, RuntimeService, type CriClient } from '../cri/client.ts';
import { BUSYBOX_IMAGE, WASM_TEST_IMAGE } from '../fixtures/build.ts';
import { startCriNode, stopCriNode, type CriNode } from './cri-node.ts';
import { CONTAINER_EXITED, CONTAINER_RUNNING, awaitLogLines, removePod, runPod, startContainer, status, waitState, type LogLine, type Pod } from './kubelet.ts';
import { exitCodeOf, RESIZE, STDIN, streamExec } from './exec-stream.ts';
import { NOTHING, settledLeftovers, shimPids } from './leftovers.ts';
import { until } from './poll.ts';

const work = mkdtempSync('/tmp/wasmts-cri-');
let node: CriNode;
let containerd: PrivateContainerd;
let cri: CriClient;

before(test, async () => {
  node = await startCriNode(work);
  ({ containerd, cri } = node);
});

test.after(() => stopCriNode(node, work));

test('CRI runs: Version and Status answer', async () => {
  const version = await cri.call(RuntimeService.method.version, {});
  assert.is(version.runtimeName, 'containerd');
  const statusResponse = await cri.call(RuntimeService.method.status, {});
  // 2.2+ adds ContainerdHasNoDeprecationWarnings, false on this cgroup v1 host: not ours to judge.
  const ready = statusResponse.status!.conditions.filter((c) => c.type === 'RuntimeReady' || c.type === 'NetworkReady');
  assert.is(ready.length, 2, JSON.stringify(statusResponse.status!.conditions));
  assert.ok(ready.every((c) => c.status), JSON.stringify(statusResponse.status!.conditions));
});

test('a wasm pod: sandbox and container share one shim; logs, exit code and reason as for any container', () => withPod(async (pod) => {
  const id = await startContainer(cri, pod, {
    metadata: { name: 'hello', attempt: 0 },
    image: { image: WASM_TEST_IMAGE },
    command: ['/app/hello.wasm'],
    args: ['from', 'cri'],
    envs: [{ key: 'EXIT_CODE', value: '0' }],
    logPath: 'hello_0.log',
  });
  const exited = await waitState(cri, id, CONTAINER_EXITED);
  assert.is(exited.exitCode, 0);
  assert.is(exited.reason, 'Completed');
  const lines = await awaitLogLines(pod, 'hello_0.log', (all) => all.some((l) => l.stream === 'stderr'));
  assert.ok(lines.some((l) => l.stream === 'stdout' && l.text === 'arg[2]=cri'), JSON.stringify(lines));
  assert.ok(lines.some((l) => l.stream === 'stderr' && l.text === 'hello on stderr'));
  assert.is(shimPids(containerd).length, 1, 'the node\'s one daemon');
  await cri.call(RuntimeService.method.removeContainer, { containerId: id });
}));

async function taskPid(containerId: string): Promise<number> {
  const tasks = (await containerd.ctr(['-n', 'k8s.io', 'task', 'ls'])).stdout;
  const pid = Number(new RegExp(`^${containerId}\\s+(\\d+)`, 'm').exec(tasks)?.[1]);
  if (!pid) throw new Error(`no task ${containerId} in:\n${tasks}`);
  return pid;
}

const nsOf = (pid: number, ns: string) => execFileSync('readlink', [`/proc/${pid}/ns/${ns}`], { encoding: 'utf8' }).trim();

async function withPod(body: (pod: Pod) => Promise<void>, options: { hostNetwork?: boolean } = {}): Promise<void> {
  const pod = await runPod(cri, join(work, 'logs'), options);
  try {
    await body(pod);
  } finally {
    await removePod(cri, pod);
  }
}

const wasm = (name: string, command: string[], extra: Record<string, unknown> = {}) => ({
  metadata: { name, attempt: 0 },
  image: { image: WASM_TEST_IMAGE },
  command,
  logPath: `${name}_0.log`,
  ...extra,
});

// What `start` answered is seen in what containerd then did: 2.x with version 3 reuses the pod's
// connection for later containers (no `start`, so no `address` written in their bundles) and records
// the bootstrap in the sandbox's bootstrap.json; 1.x runs `start` for every container.
test('each containerd is answered in its own dialect: 1.x a plain address, 2.x version 3 and one start per pod', () => withPod(async (pod) => {
  const app = await startContainer(cri, pod, wasm('dialect', ['/app/spin.wasm']));
  await waitState(cri, app, CONTAINER_RUNNING);
  const bundle = (id: string) => join(containerd.dir, 'state/io.containerd.runtime.v2.task/k8s.io', id);
  const sandboxAddress = readFileSync(join(bundle(pod.id), 'address'), 'utf8');
  if (containerd.version.major >= 2) {
    const bootstrap = JSON.parse(readFileSync(join(bundle(pod.id), 'bootstrap.json'), 'utf8'));
    assert.equal([bootstrap.version, bootstrap.address, bootstrap.protocol], [3, sandboxAddress, 'ttrpc']);
    assert.not.ok(existsSync(join(bundle(app), 'address')), 'no start ran for the app container');
  } else {
    assert.is(readFileSync(join(bundle(app), 'address'), 'utf8'), sandboxAddress);
  }
  await cri.call(RuntimeService.method.stopContainer, { containerId: app, timeout: 2n });
}));

test('a failing wasm container: exit code 3, reason Error', () => withPod(async (pod) => {
  const id = await startContainer(cri, pod, wasm('fails', ['/app/hello.wasm'], { envs: [{ key: 'EXIT_CODE', value: '3' }] }));
  const exited = await waitState(cri, id, CONTAINER_EXITED);
  assert.is(exited.exitCode, 3);
  assert.is(exited.reason, 'Error');
}));

test('a wasm container joins the pod\'s network, IPC and UTS namespaces; a native sidecar runs beside it', () => withPod(async (pod) => {
  const app = await startContainer(cri, pod, wasm('spin', ['/app/spin.wasm']));
  const sidecar = await startContainer(cri, pod, { metadata: { name: 'sidecar', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '300'], logPath: 'sidecar_0.log' });
  await waitState(cri, app, CONTAINER_RUNNING);
  await waitState(cri, sidecar, CONTAINER_RUNNING);
  const sandboxPid = await taskPid(pod.id);
  for (const ns of ['net', 'ipc', 'uts']) {
    assert.is(nsOf(await taskPid(app), ns), nsOf(sandboxPid, ns), `wasm ${ns}`);
    assert.is(nsOf(await taskPid(sidecar), ns), nsOf(sandboxPid, ns), `sidecar ${ns}`);
  }
  assert.is(shimPids(containerd).length, 1, 'one daemon serves the pod');
  for (const id of [app, sidecar]) await cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 2n });
}));

test('ExecSync into a native sidecar of a wasm pod: stdout, stderr, exit codes 0 and 3; into the wasm container it says why not', () => withPod(async (pod) => {
  const app = await startContainer(cri, pod, wasm('app', ['/app/sleep.wasm']));
  const sidecar = await startContainer(cri, pod, { metadata: { name: 'sidecar', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '300'], logPath: 'sidecar_0.log' });
  await waitState(cri, sidecar, CONTAINER_RUNNING);
  await waitState(cri, app, CONTAINER_RUNNING);
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const ok = await cri.call(RuntimeService.method.execSync, { containerId: sidecar, cmd: ['sh', '-c', 'echo out; echo err >&2'], timeout: 30n });
  assert.equal([ok.exitCode, text(ok.stdout), text(ok.stderr)], [0, 'out\n', 'err\n']);
  const three = await cri.call(RuntimeService.method.execSync, { containerId: sidecar, cmd: ['sh', '-c', 'exit 3'], timeout: 30n });
  assert.is(three.exitCode, 3);
  const refused = await cri.call(RuntimeService.method.execSync, { containerId: app, cmd: ['sh'], timeout: 30n }).then(() => undefined, (error: Error) => error);
  assert.match(refused?.message ?? 'ExecSync into the wasm container succeeded', 'runs a single guest, with no shell or other programs to exec; exec into a native sidecar of the pod instead');
  for (const id of [app, sidecar]) await cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 2n });
}));

test('streaming Exec into a native sidecar of a wasm pod, over the stream server\'s WebSocket as kubectl exec: stdin in, stdout and stderr apart, exit code 7 on the status channel; -t sized by a resize; into the wasm container the refusal is the status', () => withPod(async (pod) => {
  const app = await startContainer(cri, pod, wasm('app', ['/app/sleep.wasm']));
  const sidecar = await startContainer(cri, pod, { metadata: { name: 'sidecar', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '300'], logPath: 'sidecar_0.log' });
  await waitState(cri, sidecar, CONTAINER_RUNNING);
  await waitState(cri, app, CONTAINER_RUNNING);
  const exec = (containerId: string, cmd: string[], streams: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }) => cri.call(RuntimeService.method.exec, { containerId, cmd, ...streams });
  const piped = await exec(sidecar, ['sh', '-c', 'read line; echo got:$line; echo err >&2; exit 7'], { stdin: true, stdout: true, stderr: true, tty: false });
  const result = await streamExec(containerd, piped.url, [[STDIN, 'hello\n']]);
  assert.equal([result.protocol, result.stdout, result.stderr], ['v4.channel.k8s.io', 'got:hello\n', 'err\n']);
  // Up to 2.2 the stream server writes apimachinery's metav1.Status, whose ListMeta is always
  // encoded; 2.3's, k8s.io/cri-streaming, writes a status type of its own without it.
  const { major, minor } = containerd.version;
  const metadata = major > 2 || (major === 2 && minor >= 3) ? {} : { metadata: {} };
  assert.equal(result.status, {
    ...metadata,
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [sh -c read line; echo got:$line; echo err >&2; exit 7], exit code 7',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '7' }] },
  });
  assert.is(exitCodeOf(result.status), 7);
  // kubectl exec -it: stderr goes to the terminal too. The size comes from the client once the
  // process runs (until then the terminal has none, and stty says so): the process waits for it.
  const terminal = await exec(sidecar, ['sh', '-c', 'until [ "$(stty size 2>/dev/null)" = "30 100" ]; do sleep 0.1; done; tty; stty size'], { stdin: true, stdout: true, stderr: false, tty: true });
  const sized = await streamExec(containerd, terminal.url, [[RESIZE, JSON.stringify({ Width: 100, Height: 30 })]]);
  assert.match(sized.stdout, /^\/dev\/pts\/\d+\r\n30 100\r\n$/);
  assert.equal(sized.status, { ...metadata, status: 'Success' });
  // CRI hands out a URL for any container; the shim's refusal comes when the exec is made, as the
  // stream server's internal error.
  const intoWasm = await exec(app, ['sh'], { stdin: false, stdout: true, stderr: true, tty: false });
  const refused = await streamExec(containerd, intoWasm.url, []);
  assert.equal([refused.stdout, refused.stderr, refused.status?.status, refused.status?.reason], ['', '', 'Failure', 'InternalError']);
  assert.match(refused.status?.message ?? '', 'is a WebAssembly container: it runs a single guest, with no shell or other programs to exec; exec into a native sidecar of the pod instead');
  for (const id of [app, sidecar]) await cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 2n });
}));

test('limits from the pod spec land in the container\'s cgroup; over its memory limit it is OOMKilled (137)', () => withPod(async (pod) => {
  const limited = await startContainer(cri, pod, wasm('limited', ['/app/spin.wasm'], { linux: { resources: { memoryLimitInBytes: BigInt(200 << 20), cpuPeriod: 100000n, cpuQuota: 50000n } } }));
  await waitState(cri, limited, CONTAINER_RUNNING);
  const cgroup = readFileSync(`/proc/${await taskPid(limited)}/cgroup`, 'utf8');
  const path = (controller: string) => [...cgroup.matchAll(/^\d+:([^:]*):(.*)$/gm)].find((m) => m[1]!.split(',').includes(controller))?.[2];
  const v2 = /^0::(.*)$/m.exec(cgroup)?.[1];
  if (path('memory')) {
    assert.is(readFileSync(`/sys/fs/cgroup/memory${path('memory')}/memory.limit_in_bytes`, 'utf8').trim(), String(200 << 20));
    assert.is(readFileSync(`/sys/fs/cgroup/cpu${path('cpu')}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
  } else {
    assert.is(readFileSync(`/sys/fs/cgroup${v2}/memory.max`, 'utf8').trim(), String(200 << 20));
    assert.is(readFileSync(`/sys/fs/cgroup${v2}/cpu.max`, 'utf8').trim(), '50000 100000');
  }
  await cri.call(RuntimeService.method.stopContainer, { containerId: limited, timeout: 2n });
  const hog = await startContainer(cri, pod, wasm('hog', ['/app/memhog.wasm'], { linux: { resources: { memoryLimitInBytes: BigInt(160 << 20) } } }));
  const exited = await waitState(cri, hog, CONTAINER_EXITED, 60_000);
  assert.is(exited.exitCode, 137);
  assert.is(exited.reason, 'OOMKilled');
}));

test('stats: ContainerStats, ListContainerStats and ListPodSandboxStats report CPU and memory of a running wasm container', () => withPod(async (pod) => {
  const id = await startContainer(cri, pod, wasm('busy', ['/app/spin.wasm']));
  await waitState(cri, id, CONTAINER_RUNNING);
  // CRI's stats come from a collector that runs every few seconds: wait for a first CPU figure.
  const stats = await until(async () => {
    const current = (await cri.call(RuntimeService.method.containerStats, { containerId: id })).stats!;
    return (current.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n && current;
  }, 'a CPU figure for the container').catch(async () => (await cri.call(RuntimeService.method.containerStats, { containerId: id })).stats!);
  assert.ok((stats.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n, 'cpu');
  assert.ok((stats.memory?.workingSetBytes?.value ?? 0n) > 0n, 'memory');
  const listed = await cri.call(RuntimeService.method.listContainerStats, { filter: { podSandboxId: pod.id } });
  assert.ok(listed.stats.some((s) => s.attributes?.id === id && (s.memory?.workingSetBytes?.value ?? 0n) > 0n));
  const sandboxes = await cri.call(RuntimeService.method.listPodSandboxStats, { filter: { id: pod.id } });
  const linux = sandboxes.stats.find((s) => s.attributes?.id === pod.id)?.linux;
  assert.ok((linux?.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n, 'pod cpu');
  assert.ok((linux?.memory?.workingSetBytes?.value ?? 0n) > 0n, 'pod memory');
  await cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 30n });
}));

test('a component command as a pod: its logs, its stats, StopContainer\'s 143, and OOMKilled over its limit', () => withPod(async (pod) => {
  const lines = await startContainer(cri, pod, wasm('lines', ['/app/lines.component.wasm', '10000']));
  assert.is((await waitState(cri, lines, CONTAINER_EXITED)).exitCode, 0);
  assertAllLines(await awaitLogLines(pod, 'lines_0.log', (all) => all.length >= 10_010));
  const busy = await startContainer(cri, pod, wasm('busy', ['/app/busy.component.wasm'], { linux: { resources: { memoryLimitInBytes: BigInt(200 << 20) } } }));
  await waitState(cri, busy, CONTAINER_RUNNING);
  const stats = await until(async () => {
    const current = (await cri.call(RuntimeService.method.containerStats, { containerId: busy })).stats!;
    return (current.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n && current;
  }, 'a CPU figure for the component');
  assert.ok((stats.memory?.workingSetBytes?.value ?? 0n) > 0n, 'memory');
  await cri.call(RuntimeService.method.stopContainer, { containerId: busy, timeout: 30n });
  assert.is((await status(cri, busy)).exitCode, 143);
  const hog = await startContainer(cri, pod, wasm('hog', ['/app/hog.component.wasm'], { linux: { resources: { memoryLimitInBytes: BigInt(160 << 20) } } }));
  const exited = await waitState(cri, hog, CONTAINER_EXITED, 60_000);
  assert.is(exited.exitCode, 137);
  assert.is(exited.reason, 'OOMKilled');
}));

// critest's pod cgroup parents end in `.slice`, so containerd writes `<parent>:cri-containerd:<id>`.
// The driver is the handler's option (cgroupfs here, where systemd does not run), not that shape.
test('a pod whose cgroup parent is named like a systemd slice runs on the cgroupfs driver, with stats', async () => {
  const pod = await runPod(cri, join(work, 'logs'), { name: `pod-${process.pid}-slice`, cgroupParent: `wasmts-test-${process.pid}.slice` });
  try {
    const id = await startContainer(cri, pod, wasm('busy', ['/app/spin.wasm']));
    await waitState(cri, id, CONTAINER_RUNNING);
    const cgroup = readFileSync(`/proc/${await taskPid(id)}/cgroup`, 'utf8');
    assert.match(cgroup, `wasmts-test-${process.pid}.slice:cri-containerd:${id}`);
    const stats = await until(async () => {
      const current = (await cri.call(RuntimeService.method.containerStats, { containerId: id })).stats!;
      return (current.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n && current;
    }, 'a CPU figure for the container');
    assert.ok((stats.memory?.workingSetBytes?.value ?? 0n) > 0n, `memory, with the container in:\n${cgroup}`);
    await cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 30n });
    assert.is((await status(cri, id)).exitCode, 143);
  } finally {
    await removePod(cri, pod);
  }
});

// lines.c's output: 10,000 numbered lines on stdout, every 1000th also on stderr, in order.
// containerd 1.6.20's task.Delete closes the log FIFOs' readers before it waits for them (fixed
// upstream by containerd PR #8643, in 1.6.22 and 1.7): what is still in a FIFO when CRI handles the
// exit, at most its 64 KiB, is lost there for any shim's containers. Nothing else may be.
function assertAllLines(lines: LogLine[]): void {
  const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
  const err = lines.filter((l) => l.stream === 'stderr').map((l) => l.text);
  const expected = Array.from({ length: 10000 }, (_, i) => `line ${i}`);
  const expectedErr = Array.from({ length: 10 }, (_, i) => `err ${i * 1000}`);
  if (containerd.version.name === '1.6') {
    // The loss cuts at any byte, so the last line that arrived may be cut short.
    out.forEach((text, i) => (i === out.length - 1 ? assert.ok(expected[i]!.startsWith(text), text) : assert.is(text, expected[i])));
    err.forEach((text, i) => (i === err.length - 1 ? assert.ok(expectedErr[i]!.startsWith(text), text) : assert.is(text, expectedErr[i])));
    const lost = expected.slice(out.length).reduce((bytes, line) => bytes + line.length + 1, 0);
    assert.ok(lost <= 65536, `${10000 - out.length} lines (${lost} bytes) lost: more than a FIFO holds`);
    return;
  }
  assert.is(out.length, 10000);
  out.forEach((text, i) => assert.is(text, expected[i]));
  assert.equal(err, expectedErr);
}

test('logs: 10,000 lines written fast all reach the CRI log, in order', () => withPod(async (pod) => {
  const id = await startContainer(cri, pod, wasm('lines', ['/app/lines.wasm', '10000']));
  const exited = await waitState(cri, id, CONTAINER_EXITED);
  assert.is(exited.exitCode, 0);
  const lines = await awaitLogLines(pod, 'lines_0.log', (all) => all.length >= 10_010);
  assertAllLines(lines);
}));

// How fast is for `make bench`; here only what happens: the wasm container does not wait out its grace
// period, the native one that ignores SIGTERM does, and then gets SIGKILL.
test('StopContainer: a wasm container ends at once with 143 without waiting out a 30 s grace; a native one ignoring SIGTERM is killed at its timeout (137)', () => withPod(async (pod) => {
  const app = await startContainer(cri, pod, wasm('stop-me', ['/app/spin.wasm']));
  await waitState(cri, app, CONTAINER_RUNNING);
  let started = Date.now();
  await cri.call(RuntimeService.method.stopContainer, { containerId: app, timeout: 30n });
  const wasmMs = Date.now() - started;
  assert.is((await status(cri, app)).exitCode, 143);
  assert.ok(wasmMs < 30_000, `StopContainer waited the grace period out (${wasmMs} ms)`);
  const stubborn = await startContainer(cri, pod, { metadata: { name: 'stubborn', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sh', '-c', "trap '' TERM; echo trapped; while true; do sleep 1; done"], logPath: 'stubborn_0.log' });
  // Stopped before the shell set its trap, it would end by SIGTERM: wait until it says it has.
  const said = await awaitLogLines(pod, 'stubborn_0.log', (all) => all.some((l) => l.text === 'trapped'));
  assert.ok(said.some((l) => l.text === 'trapped'), JSON.stringify(said));
  started = Date.now();
  await cri.call(RuntimeService.method.stopContainer, { containerId: stubborn, timeout: 2n });
  const nativeMs = Date.now() - started;
  assert.is((await status(cri, stubborn)).exitCode, 137);
  assert.ok(nativeMs >= 1900, `killed before its 2 s grace (${nativeMs} ms)`);
}));

test('restart: a container created again with attempt 1 after its exit starts normally', () => withPod(async (pod) => {
  const first = await startContainer(cri, pod, wasm('again', ['/app/hello.wasm'], { envs: [{ key: 'EXIT_CODE', value: '1' }] }));
  assert.is((await waitState(cri, first, CONTAINER_EXITED)).exitCode, 1);
  const second = await startContainer(cri, pod, { ...wasm('again', ['/app/hello.wasm']), metadata: { name: 'again', attempt: 1 }, logPath: 'again_1.log' });
  const exited = await waitState(cri, second, CONTAINER_EXITED);
  assert.is(exited.exitCode, 0);
  assert.ok((await awaitLogLines(pod, 'again_1.log', (all) => all.some((l) => l.text === 'arg[0]=/app/hello.wasm'))).some((l) => l.text === 'arg[0]=/app/hello.wasm'));
}));

test('the Krustlet demo as a pod: stdout and stderr, env (ConfigMap, downward API), args, a file from a volume', () => withPod(async (pod) => {
  const volume = mkdtempSync(join(work, 'volume-'));
  writeFileSync(join(volume, 'message.txt'), 'hello from a volume\n');
  const id = await startContainer(cri, pod, wasm('demo', ['/app/demo.wasm'], {
    args: ['--greeting', 'hi'],
    envs: [{ key: 'FOO', value: 'bar' }, { key: 'CONFIG_VALUE', value: 'from-configmap' }, { key: 'POD_NAME', value: pod.config.metadata!.name! }],
    mounts: [{ containerPath: '/data', hostPath: volume, readonly: true }],
  }));
  const exited = await waitState(cri, id, CONTAINER_EXITED);
  const lines = await awaitLogLines(pod, 'demo_0.log', (all) => all.length >= 8);
  assert.is(exited.exitCode, 0, JSON.stringify(lines));
  const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
  assert.equal(out, ['hello from stdout', 'arg --greeting', 'arg hi', 'FOO=bar', 'CONFIG_VALUE=from-configmap', `POD_NAME=${pod.config.metadata!.name}`, 'volume: hello from a volume']);
  assert.equal(lines.filter((l) => l.stream === 'stderr').map((l) => l.text), ['hello from stderr']);
}));

test('a hostNetwork pod runs a wasm container in the node\'s network namespace', () => withPod(async (pod) => {
  const id = await startContainer(cri, pod, wasm('host', ['/app/spin.wasm']));
  await waitState(cri, id, CONTAINER_RUNNING);
  assert.is(nsOf(await taskPid(id), 'net'), nsOf(containerd.holderPid, 'net'));
  await cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 30n });
}, { hostNetwork: true }));

test('a wasm image pushed to a real registry is pulled by CRI and runs as a pod', () => withPod(async (pod) => {
  const reference = await node.registry.push(node.images.wasm, 'wasmts/pulled:v1');
  const pulled = await cri.call(ImageService.method.pullImage, { image: { image: reference } });
  assert.match(pulled.imageRef, /^sha256:[0-9a-f]{64}$/);
  const id = await startContainer(cri, pod, { ...wasm('pulled', ['/app/hello.wasm']), image: { image: reference }, args: ['pulled'] });
  const exited = await waitState(cri, id, CONTAINER_EXITED);
  assert.is(exited.exitCode, 0);
  assert.ok((await awaitLogLines(pod, 'pulled_0.log', (all) => all.some((l) => l.text === 'arg[1]=pulled'))).some((l) => l.text === 'arg[1]=pulled'));
}));

test('user errors reach the CRI caller as a sentence that says what to do', () => withPod(async (pod) => {
  // CRI's CreateContainer only records the container; the shim's Create runs at StartContainer.
  const missing = await startContainer(cri, pod, wasm('missing', ['/app/missing.wasm'])).catch((e: Error) => e);
  assert.instance(missing, Error);
  assert.match((missing as Error).message, 'entrypoint "/app/missing.wasm" was not found in the container\'s root filesystem');
  assert.match((missing as Error).message, 'check the image\'s entrypoint and the container\'s command');
  const bad = await startContainer(cri, pod, wasm('bad', ['/app/bad.wasm'])).catch((e: Error) => e);
  assert.match((bad as Error).message, '/app/bad.wasm is not a valid WebAssembly module');
  assert.match(readFileSync(containerd.logPath, 'utf8'), 'entrypoint \\"/app/missing.wasm\\" was not found');
  const unknown = await runPod(cri, join(work, 'logs'), { handler: 'nope' }).catch((e: Error) => e);
  assert.match((unknown as Error).message, 'no runtime for "nope" is configured');
}));

test('containerd restarted while a wasm pod runs: it reconnects to the pod\'s shim, and the exit is still seen', () => withPod(async (pod) => {
  const app = await startContainer(cri, pod, wasm('survivor', ['/app/spin.wasm']));
  await waitState(cri, app, CONTAINER_RUNNING);
  await containerd.stopContainerd();
  await containerd.startContainerd();
  await until(async () => (await status(cri, app).catch(() => undefined))?.state === CONTAINER_RUNNING, 'the container RUNNING after the restart');
  await cri.call(RuntimeService.method.stopContainer, { containerId: app, timeout: 2n });
  assert.is((await status(cri, app)).exitCode, 143);
}));

// One daemon serves the node's wasm pods: a pod's end is not the daemon's, and each task's log lines
// go where containerd reads them for that task's pod.
test('two pods share one daemon: removing one leaves the other running and logging; the daemon goes with the last', async () => {
  const first = await runPod(cri, join(work, 'logs'));
  const second = await runPod(cri, join(work, 'logs'));
  let firstRemoved = false;
  try {
    const [a, b] = [await startContainer(cri, first, wasm('shared-a', ['/app/spin.wasm'])), await startContainer(cri, second, wasm('shared-b', ['/app/spin.wasm']))];
    await waitState(cri, a, CONTAINER_RUNNING);
    await waitState(cri, b, CONTAINER_RUNNING);
    const daemons = shimPids(containerd);
    assert.is(daemons.length, 1, `daemons: ${daemons.join(' ')}`);
    await removePod(cri, first);
    firstRemoved = true;
    assert.is((await status(cri, b)).state, CONTAINER_RUNNING, 'the other pod\'s container runs on');
    assert.equal(shimPids(containerd), daemons, 'the same daemon serves it');
    const later = await startContainer(cri, second, wasm('shared-later', ['/app/hello.wasm']));
    assert.is((await waitState(cri, later, CONTAINER_EXITED)).exitCode, 0);
    const logged = await until(() => readFileSync(containerd.logPath, 'utf8').includes(`msg="task exited" runtime=io.containerd.wasmts.v1 group=wasmts-node id=${later}`), `the daemon's line for ${later} in containerd's log`).catch(() => false);
    assert.ok(logged, 'the daemon\'s lines reach containerd after the pod whose start spawned it is gone');
  } finally {
    if (!firstRemoved) await removePod(cri, first);
    await removePod(cri, second);
  }
  const left = await settledLeftovers(containerd, []);
  assert.equal({ ...left, cgroups: [] }, NOTHING);
});

test('a pod\'s shim killed with SIGKILL while a wasm container and a native sidecar run: once the pod is removed nothing is left', async () => {
  const pod = await runPod(cri, join(work, 'logs'));
  const app = await startContainer(cri, pod, wasm('orphan', ['/app/spin.wasm']));
  const sidecar = await startContainer(cri, pod, { metadata: { name: 'orphan-sidecar', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '300'], logPath: 'orphan-sidecar_0.log' });
  await waitState(cri, app, CONTAINER_RUNNING);
  await waitState(cri, sidecar, CONTAINER_RUNNING);
  const [daemon] = shimPids(containerd);
  assert.ok(daemon, 'the node has a daemon');
  process.kill(daemon!, 'SIGKILL');
  // CRI sees the tasks end through their broken Waits; a kubelet removes the pod once both show it.
  await waitState(cri, app, CONTAINER_EXITED);
  await waitState(cri, sidecar, CONTAINER_EXITED);
  await removePod(cri, pod);
  const left = await settledLeftovers(containerd, []);
  assert.equal({ ...left, cgroups: [] }, NOTHING);
});

test('containerd 2.2+ reads the runtime\'s info without an error', () => {
  // 2.2+ runs `<shim> -info` at task create and logs a failure there, at every create.
  assert.not.match(readFileSync(containerd.logPath, 'utf8'), 'failed to load runtime info');
});

test('after every pod is removed nothing is left: processes, mounts, sockets, cgroups, network namespaces', async () => {
  const left = await settledLeftovers(containerd, []);
  assert.equal({ ...left, cgroups: [] }, NOTHING);
  const netns = await containerd.exec('sh', ['-c', 'ls /run/netns 2>/dev/null; ip netns list 2>/dev/null']);
  assert.is(netns.stdout.trim(), '');
  const cgroups = await containerd.exec('sh', ['-c', `find /sys/fs/cgroup -path "*wasmts-test/pod-${process.pid}-*" -mindepth 1 -type d 2>/dev/null | grep -v "/pod-[^/]*$"`]);
  assert.is(cgroups.stdout.trim(), '', 'container cgroups under the pods\' cgroup parents');
});

test.run();
