// Live resource updates (Kubernetes' in-place pod resize): containerd's Tasks API Update, which ctr
// has no command for (1.6 to 2.3), on tasks ctr ran with limits, and CRI's UpdateContainerResources
// on a wasm container and a native sidecar of a wasm pod. What the kernel shows is read from the
// container's cgroup; what containerd reports, from ctr's metrics and CRI's status and stats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../before.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import type { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { UpdateTaskRequestSchema } from '../../shim/protocol/gen/task_pb.ts';
import { LINUX_RESOURCES_TYPE_URL } from '../../shim/task/resources.ts';
import { CriError, RuntimeService, type CriClient } from '../cri/client.ts';
import { BUSYBOX_IMAGE, WASM_TEST_IMAGE } from '../fixtures/build.ts';
import { startCriNode, stopCriNode, type CriNode } from './cri-node.ts';
import { CONTAINER_RUNNING, removePod, runPod, startContainer, status, waitState } from './kubelet.ts';
import { until } from './poll.ts';

const MiB = 1 << 20;
const work = mkdtempSync('/tmp/wasmts-update-');
let node: CriNode;
let containerd: PrivateContainerd;
let cri: CriClient;

before(test, async () => {
  node = await startCriNode(work);
  ({ containerd, cri } = node);
});

test.after(() => stopCriNode(node, work));

// containerd.services.tasks.v1.UpdateTaskRequest has the shim's UpdateTaskRequest's fields, number
// for number (container_id 1, resources 2, annotations 3): the shim's schema encodes it.
function tasksUpdate(id: string, resources: unknown, typeUrl = LINUX_RESOURCES_TYPE_URL): Promise<void> {
  const client = new grpc.Client(`unix://${containerd.socket}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('containerd-namespace', 'k8s.io');
  const value = new TextEncoder().encode(typeof resources === 'string' ? resources : JSON.stringify(resources));
  const request = create(UpdateTaskRequestSchema, { id, resources: { typeUrl, value } });
  return new Promise<void>((resolve, reject) => {
    client.makeUnaryRequest('/containerd.services.tasks.v1.Tasks/Update', () => Buffer.from(toBinary(UpdateTaskRequestSchema, request)), () => undefined, request, metadata, { deadline: Date.now() + 60_000 }, (error) => {
      if (error) reject(new CriError(error.code ?? 2, error.details || error.message));
      else resolve();
    });
  }).finally(() => client.close());
}

async function refused(call: Promise<unknown>): Promise<CriError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof CriError) return error;
    throw error;
  }
  throw new Error('the update was expected to fail');
}

async function taskPid(id: string): Promise<number> {
  const tasks = (await containerd.ctr(['-n', 'k8s.io', 'task', 'ls'])).stdout;
  const pid = Number(new RegExp(`^${id}\\s+(\\d+)`, 'm').exec(tasks)?.[1]);
  if (!pid) throw new Error(`no task ${id} in:\n${tasks}`);
  return pid;
}

// The container's limits as its cgroup has them: memory in bytes, CPU as quota/period.
async function cgroupLimits(id: string): Promise<{ memory: string; cpu: string }> {
  const cgroup = readFileSync(`/proc/${await taskPid(id)}/cgroup`, 'utf8');
  const v2 = /^0::(.*)$/m.exec(cgroup)?.[1];
  if (!cgroup.includes(':memory:') && v2 !== undefined) {
    const [quota, period] = readFileSync(`/sys/fs/cgroup${v2}/cpu.max`, 'utf8').trim().split(' ');
    return { memory: readFileSync(`/sys/fs/cgroup${v2}/memory.max`, 'utf8').trim(), cpu: `${quota}/${period}` };
  }
  const path = (controller: string) => [...cgroup.matchAll(/^\d+:([^:]*):(.*)$/gm)].find((m) => m[1]!.split(',').includes(controller))?.[2];
  const cpu = (file: string) => readFileSync(`/sys/fs/cgroup/cpu${path('cpu')}/${file}`, 'utf8').trim();
  return { memory: readFileSync(`/sys/fs/cgroup/memory${path('memory')}/memory.limit_in_bytes`, 'utf8').trim(), cpu: `${cpu('cpu.cfs_quota_us')}/${cpu('cpu.cfs_period_us')}` };
}

const isV1 = () => readFileSync('/proc/self/cgroup', 'utf8').includes(':memory:');

const CTR_WASM = ['--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm'];

test('Tasks API Update of a running wasm task ctr started with limits: its cgroup and ctr task metrics show the new ones', async () => {
  const id = `ctr-update-${process.pid}`;
  const run = await containerd.ctr(['-n', 'k8s.io', 'run', '-d', ...CTR_WASM, '--memory-limit', String(200 * MiB), '--cpu-quota', '50000', '--cpu-period', '100000', WASM_TEST_IMAGE, id, '/app/spin.wasm']);
  assert.is(run.code, 0, run.stderr);
  try {
    await until(async () => (await containerd.ctr(['-n', 'k8s.io', 'task', 'ls'])).stdout.match(new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm')), `${id} RUNNING`);
    assert.equal(await cgroupLimits(id), { memory: String(200 * MiB), cpu: '50000/100000' });
    await tasksUpdate(id, { memory: { limit: 300 * MiB }, cpu: { quota: 25000, period: 100000 } });
    assert.equal(await cgroupLimits(id), { memory: String(300 * MiB), cpu: '25000/100000' });
    const metrics = await containerd.ctr(['-n', 'k8s.io', 'task', 'metrics', id]);
    assert.is(metrics.code, 0, metrics.stderr);
    assert.match(metrics.stdout, new RegExp(`^memory\\.(limit_in_bytes|usage_limit)\\s+${300 * MiB}\\s*$`, 'm'));

    const malformed = await refused(tasksUpdate(id, { memory: { limit: '256Mi' } }));
    assert.is(malformed.code, grpc.status.INVALID_ARGUMENT, malformed.message);
    assert.match(malformed.message, `task ${id}: memory.limit is "256Mi", not a whole number`);
    const windows = await refused(tasksUpdate(id, {}, 'types.containerd.io/opencontainers/runtime-spec/1/WindowsResources'));
    assert.is(windows.code, grpc.status.INVALID_ARGUMENT, windows.message);
    assert.equal(await cgroupLimits(id), { memory: String(300 * MiB), cpu: '25000/100000' }, 'a refused update changes nothing');

    assert.is((await containerd.ctr(['-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', id])).code, 0);
    await until(async () => new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, 'm').test((await containerd.ctr(['-n', 'k8s.io', 'task', 'ls'])).stdout), `${id} STOPPED`);
    const stopped = await refused(tasksUpdate(id, { memory: { limit: 300 * MiB } }));
    assert.is(stopped.code, grpc.status.FAILED_PRECONDITION, stopped.message);
    assert.match(stopped.message, `task ${id} is stopped: there is no running container to update`);
  } finally {
    await containerd.ctr(['-n', 'k8s.io', 'task', 'rm', '-f', id]);
    await containerd.ctr(['-n', 'k8s.io', 'container', 'rm', id]);
  }
  const gone = await refused(tasksUpdate(id, { memory: { limit: 300 * MiB } }));
  assert.is(gone.code, grpc.status.NOT_FOUND, gone.message);
});

// Measured here (runc 1.1.5, cgroup v1, no swap): the kernel answers EBUSY to a memory.limit_in_bytes
// below the usage it cannot reclaim, runc fails, and the old limit stays. (cgroup v2 takes the limit
// and reclaims or OOM-kills instead; the VM suite is where that runs.)
test('on cgroup v1, a memory limit below the container\'s usage is refused with its usage and what to do; the task runs on with its old limit', async () => {
  if (!isV1()) return;
  const pod = await runPod(cri, join(work, 'logs'));
  try {
    const app = await startContainer(cri, pod, { metadata: { name: 'shrink', attempt: 0 }, image: { image: WASM_TEST_IMAGE }, command: ['/app/spin.wasm'], logPath: 'shrink_0.log', linux: { resources: { memoryLimitInBytes: BigInt(200 * MiB) } } });
    await waitState(cri, app, CONTAINER_RUNNING);
    // Once the runner (Node and the guest) holds a few MiB of anonymous memory, which without swap
    // the kernel cannot reclaim, a limit below that cannot be met.
    await until(async () => ((await cri.call(RuntimeService.method.containerStats, { containerId: app })).stats?.memory?.rssBytes?.value ?? 0n) >= BigInt(6 * MiB), 'the runner\'s memory above 6 MiB');
    const error = await refused(cri.call(RuntimeService.method.updateContainerResources, { containerId: app, linux: { memoryLimitInBytes: BigInt(2 * MiB) } }));
    assert.match(error.message, `the memory limit of task ${app} cannot go down to ${2 * MiB} bytes (2.0 MiB): the container uses `);
    assert.match(error.message, 'Set a limit above its usage, or free memory in the container first');
    assert.is((await cgroupLimits(app)).memory, String(200 * MiB));
    const after = await status(cri, app);
    assert.is(after.state, CONTAINER_RUNNING);
    assert.is(after.resources?.linux?.memoryLimitInBytes, BigInt(200 * MiB), 'CRI keeps the limit that applies');
  } finally {
    await removePod(cri, pod);
  }
});

test('CRI UpdateContainerResources on a wasm container and on a native sidecar of its pod: cgroup, ContainerStatus.resources and ContainerStats show the new limits', async () => {
  const pod = await runPod(cri, join(work, 'logs'));
  try {
    const limits = (memory: number, quota: bigint) => ({ resources: { memoryLimitInBytes: BigInt(memory), cpuPeriod: 100000n, cpuQuota: quota } });
    const app = await startContainer(cri, pod, { metadata: { name: 'app', attempt: 0 }, image: { image: WASM_TEST_IMAGE }, command: ['/app/spin.wasm'], logPath: 'app_0.log', linux: limits(200 * MiB, 50000n) });
    const sidecar = await startContainer(cri, pod, { metadata: { name: 'sidecar', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '300'], logPath: 'sidecar_0.log', linux: limits(64 * MiB, 50000n) });
    for (const [id, memory, quota] of [[app, 300 * MiB, 20000n], [sidecar, 128 * MiB, 30000n]] as const) {
      await waitState(cri, id, CONTAINER_RUNNING);
      await cri.call(RuntimeService.method.updateContainerResources, { containerId: id, linux: limits(memory, quota).resources });
      assert.equal(await cgroupLimits(id), { memory: String(memory), cpu: `${quota}/100000` }, id);
      const linux = (await status(cri, id)).resources?.linux;
      assert.equal([linux?.memoryLimitInBytes, linux?.cpuQuota, linux?.cpuPeriod], [BigInt(memory), quota, 100000n], id);
      // CRI reports the limit as what is left of it: available = limit - working set.
      const stats = await until(async () => {
        const current = (await cri.call(RuntimeService.method.containerStats, { containerId: id })).stats!;
        return (current.memory?.workingSetBytes?.value ?? 0n) > 0n && current;
      }, `memory stats of ${id}`);
      assert.is(stats.memory!.availableBytes!.value + stats.memory!.workingSetBytes!.value, BigInt(memory), id);
    }
  } finally {
    await removePod(cri, pod);
  }
});

test.run();
