import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create, fromBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { ShimError } from '../errors.ts';
import { EventPublisher } from '../events/publisher.ts';
import { createLogger } from '../log.ts';
import { ForwardRequestSchema } from '../protocol/gen/events_service_pb.ts';
import * as api from '../protocol/gen/task_pb.ts';
import { TaskExecAddedSchema, TaskExecStartedSchema, TaskExitSchema } from '../protocol/gen/events_pb.ts';
import type { Container, ExecRequest, ExecRunner } from './container.ts';
import { LINUX_RESOURCES_TYPE_URL, type ResourceUpdate } from './resources.ts';
import { TaskService } from './service.ts';

// A process that runs nothing: the test decides when it exits.
class StubExec implements ExecRunner {
  exit!: (status: number) => void;
  readonly exited = new Promise<number>((resolve) => (this.exit = resolve));
  readonly request: ExecRequest;
  signals: number[] = [];
  sizes: [number, number][] = [];
  cleaned = 0;
  stdinClosed = false;
  constructor(request: ExecRequest) {
    this.request = request;
  }
  async start() {
    return 5000;
  }
  async kill(signal: number) {
    this.signals.push(signal);
    this.exit(128 + signal);
  }
  closeStdin() {
    this.stdinClosed = true;
  }
  async resize(width: number, height: number) {
    this.sizes.push([width, height]);
  }
  async cleanup() {
    this.cleaned++;
  }
}

// A container that runs nothing: the test decides when it exits.
class StubContainer implements Container {
  execs: StubExec[] = [];
  // What a wasm container answers to Exec.
  execError: Error | undefined;
  exit!: (status: number) => void;
  readonly exited = new Promise<number>((resolve) => (this.exit = resolve));
  signals: number[] = [];
  cleaned = 0;
  stdinClosed = false;
  oom = false;
  startError: Error | undefined;
  // A runc that hangs: Start waits until a kill makes it fail.
  hangs = false;
  #abort: ((error: Error) => void) | undefined;
  async start() {
    if (this.startError) throw this.startError;
    if (this.hangs) await new Promise((_, reject) => (this.#abort = reject));
    return 4242;
  }
  async kill(signal: number) {
    this.#abort?.(new ShimError(2, 'runc was killed while starting'));
    this.signals.push(signal);
    if (signal === 9 || signal === 15) this.exit(128 + signal);
  }
  async afterExit() {
    return { oomKilled: this.oom };
  }
  async cleanup() {
    this.cleaned++;
  }
  closeStdin() {
    this.stdinClosed = true;
  }
  async resize() {}
  async exec(request: ExecRequest) {
    if (this.execError) throw this.execError;
    await Promise.resolve();
    const exec = new StubExec(request);
    this.execs.push(exec);
    return exec;
  }
  updates: ResourceUpdate[] = [];
  // What runc answers to an update (a shrink below usage, a container gone).
  updateError: Error | undefined;
  async update(resources: ResourceUpdate) {
    if (this.updateError) throw this.updateError;
    this.updates.push(resources);
  }
  pids() {
    return [4242];
  }
  stats() {
    return create(AnySchema, { typeUrl: 'io.containerd.cgroups.v1.Metrics' });
  }
}

function setup() {
  const topics: string[] = [];
  const payloads: Uint8Array[] = [];
  const containers: StubContainer[] = [];
  const deleted: string[] = [];
  const events = new EventPublisher({
    namespace: 'default',
    log: createLogger(() => {}, false),
    transport: async (bytes) => {
      const envelope = fromBinary(ForwardRequestSchema, bytes).envelope!;
      topics.push(envelope.topic);
      payloads.push(envelope.event!.value);
    },
  });
  const service = new TaskService({
    createContainer: async () => {
      const container = new StubContainer();
      containers.push(container);
      return container;
    },
    events,
    log: createLogger(() => {}, false),
    version: 'test',
    onDeleted: (id) => deleted.push(id),
  });
  return { service, topics, payloads, containers, gone: deleted };
}

const createRequest = (id: string) => create(api.CreateTaskRequestSchema, { id, bundle: `/b/${id}` });
const ref = (id: string) => ({ id, execId: '' }) as never;

async function code(promise: Promise<unknown> | (() => unknown)): Promise<number> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    assert.instance(error, ShimError);
    return (error as ShimError).code;
  }
  return 0;
}

test('create, start, exit, wait, delete: states, pids and events in order', async () => {
  const { service, topics, containers, gone } = setup();
  await service.create(createRequest('a'));
  assert.is(service.state(ref('a')).status, 1);
  assert.is((await service.start(ref('a'))).pid, 4242);
  assert.is(service.state(ref('a')).status, 2);
  const waiting = service.wait(ref('a'));
  containers[0]!.exit(3);
  const waited = await waiting;
  assert.is(waited.exitStatus, 3);
  assert.ok(waited.exitedAt);
  assert.is(topics.at(-1), '/tasks/exit', 'TaskExit is out before Wait returns');
  assert.is(service.state(ref('a')).status, 3);
  const deleted = await service.delete(ref('a'));
  assert.is(deleted.exitStatus, 3);
  assert.is(deleted.pid, 4242);
  assert.equal(topics, ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
  assert.is(containers[0]!.cleaned, 1);
  assert.equal(gone, ['a'], 'the daemon hears that the task is gone');
});

test('illegal moves are FailedPrecondition; a gone task is NotFound; a duplicate is AlreadyExists', async () => {
  const { service, containers } = setup();
  await service.create(createRequest('a'));
  assert.is(await code(service.create(createRequest('a'))), 6);
  await service.start(ref('a'));
  assert.is(await code(service.start(ref('a'))), 9);
  assert.is(await code(service.delete(ref('a'))), 9);
  containers[0]!.exit(0);
  await service.wait(ref('a'));
  assert.is(await code(service.kill({ id: 'a', execId: '', signal: 9, all: true } as never)), 5);
  await service.delete(ref('a'));
  assert.is(await code(service.delete(ref('a'))), 5);
  assert.is(await code(service.kill({ id: 'a', execId: '', signal: 9, all: false } as never)), 5);
  assert.is(await code(() => service.state(ref('a'))), 5);
  assert.is(await code(service.wait({ id: 'x', execId: 'e1' } as never)), 5);
});

test('kill of a running task signals it; kill of a created task ends it with 128+signal', async () => {
  const { service, topics, containers } = setup();
  await service.create(createRequest('run'));
  await service.start(ref('run'));
  await service.kill({ id: 'run', execId: '', signal: 15, all: false } as never);
  assert.equal(containers[0]!.signals, [15]);
  assert.is((await service.wait(ref('run'))).exitStatus, 143);
  await service.create(createRequest('idle'));
  await service.kill({ id: 'idle', execId: '', signal: 9, all: false } as never);
  assert.is((await service.wait(ref('idle'))).exitStatus, 137);
  assert.is(await code(service.start(ref('idle'))), 9);
  assert.ok(topics.filter((t) => t === '/tasks/exit').length === 2);
});

test('two Deletes at once clean up and publish once, and both get the answer', async () => {
  const { service, topics, containers } = setup();
  await service.create(createRequest('d'));
  await service.start(ref('d'));
  containers[0]!.exit(4);
  await service.wait(ref('d'));
  const [a, b] = await Promise.all([service.delete(ref('d')), service.delete(ref('d'))]);
  assert.is(a.exitStatus, 4);
  assert.equal(b, a);
  assert.is(containers[0]!.cleaned, 1);
  assert.is(topics.filter((t) => t === '/tasks/delete').length, 1);
});

test('an OOM kill publishes TaskOOM before TaskExit', async () => {
  const { service, topics, containers } = setup();
  await service.create(createRequest('m'));
  await service.start(ref('m'));
  containers[0]!.oom = true;
  containers[0]!.exit(137);
  await service.wait(ref('m'));
  assert.equal(topics.slice(-2), ['/tasks/oom', '/tasks/exit']);
});

// One daemon serves every pod's tasks: a task whose container misbehaves fails its own calls only.
test('one task\'s failing container fails that task\'s calls only; another pod\'s task runs, exits and is deleted as usual', async () => {
  const { service, topics, containers, gone } = setup();
  await service.create(createRequest('broken'));
  await service.create(createRequest('healthy'));
  const [broken, healthy] = containers as [StubContainer, StubContainer];
  broken.stats = () => {
    throw new TypeError("Cannot read properties of undefined (reading 'memory')");
  };
  broken.afterExit = () => Promise.reject(new Error('memory.events vanished'));
  broken.cleanup = () => Promise.reject(new Error('umount: target is busy'));
  await service.start(ref('broken'));
  await service.start(ref('healthy'));
  assert.throws(() => service.stats(ref('broken')), /reading 'memory'/);
  broken.exit(1);
  assert.is((await service.wait(ref('broken'))).exitStatus, 1, 'its exit is still reported');
  assert.is((await service.delete(ref('broken'))).exitStatus, 1, 'a failed cleanup is logged, the task is gone');
  assert.ok(service.stats(ref('healthy')).stats, 'the other task answers');
  healthy.exit(0);
  assert.is((await service.wait(ref('healthy'))).exitStatus, 0);
  await service.delete(ref('healthy'));
  assert.equal(gone, ['broken', 'healthy']);
  assert.equal(topics.filter((t) => t === '/tasks/exit').length, 2);
});

test('CloseIO reaches the container; Connect names the daemon', async () => {
  const { service, containers } = setup();
  await service.create(createRequest('a'));
  service.closeIO({ id: 'a', execId: '', stdin: true } as never);
  assert.ok(containers[0]!.stdinClosed);
  assert.is(service.connect({ id: 'a' } as never).shimPid, process.pid);
});

test('a failed Start stops the task: it cannot be started again, Wait answers, Delete cleans it up', async () => {
  const { service, containers } = setup();
  await service.create(createRequest('a'));
  containers[0]!.startError = new ShimError(2, 'runc: exec failed');
  assert.is(await code(service.start(ref('a'))), 2);
  assert.is(service.state(ref('a')).status, 3);
  assert.is(await code(service.start(ref('a'))), 9);
  assert.is((await service.wait(ref('a'))).exitStatus, 255);
  assert.is((await service.delete(ref('a'))).exitStatus, 255);
  assert.is(containers[0]!.cleaned, 1);
});

test('a Kill while Start hangs ends the task: Start fails, the task is stopped with 128+signal', async () => {
  const { service, containers } = setup();
  await service.create(createRequest('a'));
  containers[0]!.hangs = true;
  const starting = service.start(ref('a'));
  assert.is(service.state(ref('a')).status, 1);
  await service.kill({ id: 'a', execId: '', signal: 9, all: false } as never);
  assert.is(await code(starting), 2);
  assert.is(service.state(ref('a')).status, 3);
  assert.is((await service.wait(ref('a'))).exitStatus, 137);
});

test('a Wait whose caller goes away is let go with Cancelled; the task still exits for others', async () => {
  const { service, containers } = setup();
  await service.create(createRequest('a'));
  await service.start(ref('a'));
  const gone = new AbortController();
  const abandoned = service.wait(ref('a'), gone.signal);
  gone.abort(new Error('the ttrpc connection closed'));
  assert.is(await code(abandoned), 1);
  containers[0]!.exit(0);
  assert.is((await service.wait(ref('a'))).exitStatus, 0);
});

test('a failed create leaves no task behind', async () => {
  const failing = new TaskService({
    createContainer: async () => {
      throw new ShimError(3, 'entrypoint not found');
    },
    events: new EventPublisher({ namespace: 'n', log: createLogger(() => {}, false), transport: async () => {} }),
    log: createLogger(() => {}, false),
    version: 't',
    onDeleted: () => {},
  });
  assert.is(await code(failing.create(createRequest('a'))), 3);
  assert.is(failing.size, 0);
});

const execRequest = (id: string, execId: string) =>
  create(api.ExecProcessRequestSchema, { id, execId, stdout: '/fifo/out', spec: create(AnySchema, { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process', value: new TextEncoder().encode('{"args":["sh"]}') }) });
const execRef = (id: string, execId: string) => ({ id, execId }) as never;

async function runningTask(name = 'a') {
  const setupResult = setup();
  await setupResult.service.create(createRequest(name));
  await setupResult.service.start(ref(name));
  return setupResult;
}

test('exec: added, started, exited, deleted, with its own state, pid, status and events', async () => {
  const { service, topics, payloads, containers } = await runningTask();
  await service.exec(execRequest('a', 'e1'));
  const exec = containers[0]!.execs[0]!;
  assert.equal(new TextDecoder().decode(exec.request.process), '{"args":["sh"]}');
  assert.equal(fromBinary(TaskExecAddedSchema, payloads.at(-1)!), create(TaskExecAddedSchema, { containerId: 'a', execId: 'e1' }));
  assert.equal({ ...service.state(execRef('a', 'e1')), $typeName: undefined }, { id: 'e1', bundle: '/b/a', pid: 0, status: 1, stdin: '', stdout: '/fifo/out', stderr: '', terminal: false, exitStatus: 0, exitedAt: undefined, $typeName: undefined });
  assert.is((await service.start(execRef('a', 'e1'))).pid, 5000);
  assert.equal(fromBinary(TaskExecStartedSchema, payloads.at(-1)!), create(TaskExecStartedSchema, { containerId: 'a', execId: 'e1', pid: 5000 }));
  assert.is(service.state(execRef('a', 'e1')).status, 2);
  assert.is(service.state(ref('a')).pid, 4242, 'the task keeps its own pid');
  const waiting = service.wait(execRef('a', 'e1'));
  exec.exit(3);
  assert.is((await waiting).exitStatus, 3);
  const exit = fromBinary(TaskExitSchema, payloads.at(-1)!);
  assert.equal([exit.containerId, exit.id, exit.pid, exit.exitStatus], ['a', 'e1', 5000, 3]);
  assert.ok(exit.exitedAt);
  assert.is(service.state(execRef('a', 'e1')).status, 3);
  assert.is(service.state(ref('a')).status, 2, 'the task runs on');
  const deleted = await service.delete(execRef('a', 'e1'));
  assert.equal([deleted.pid, deleted.exitStatus], [5000, 3]);
  assert.is(exec.cleaned, 1);
  assert.equal(topics, ['/tasks/create', '/tasks/start', '/tasks/exec-added', '/tasks/exec-started', '/tasks/exit'], 'an exec Delete publishes nothing');
  assert.is(await code(() => service.state(execRef('a', 'e1'))), 5);
  await service.exec(execRequest('a', 'e1'));
  assert.is(containers[0]!.execs.length, 2, 'a deleted exec id can be used again');
});

test('exec: a duplicate id is AlreadyExists, also while the first Exec is under way; unknown ids are NotFound', async () => {
  const { service } = await runningTask();
  const [first, second] = await Promise.all([code(service.exec(execRequest('a', 'e1'))), code(service.exec(execRequest('a', 'e1')))]);
  assert.equal([first, second], [0, 6]);
  assert.is(await code(service.exec(execRequest('a', 'e1'))), 6);
  assert.is(await code(service.exec(execRequest('a', ''))), 3);
  assert.is(await code(service.exec(execRequest('nope', 'e1'))), 5);
  for (const call of [() => service.start(execRef('a', 'x')), () => service.kill({ id: 'a', execId: 'x', signal: 9 } as never), () => service.wait(execRef('a', 'x')), () => service.delete(execRef('a', 'x')), () => service.state(execRef('a', 'x'))]) {
    assert.is(await code(call), 5);
  }
});

test('exec: illegal moves are FailedPrecondition naming the exec', async () => {
  const { service, containers } = await runningTask();
  await service.exec(execRequest('a', 'e1'));
  await service.start(execRef('a', 'e1'));
  try {
    await service.start(execRef('a', 'e1'));
    assert.unreachable('a second Start');
  } catch (error) {
    assert.is((error as ShimError).code, 9);
    assert.match((error as Error).message, 'exec process e1 of task a is running');
  }
  assert.is(await code(service.delete(execRef('a', 'e1'))), 9);
  containers[0]!.execs[0]!.exit(0);
  await service.wait(execRef('a', 'e1'));
  assert.is(await code(service.kill({ id: 'a', execId: 'e1', signal: 9 } as never)), 5);
  assert.is(await code(service.resizePty({ id: 'a', execId: 'e1', width: 80, height: 24 } as never)), 9);
});

test('exec: Kill, CloseIO and ResizePty reach the exec process, not the container', async () => {
  const { service, containers } = await runningTask();
  await service.exec(execRequest('a', 'e1'));
  await service.resizePty({ id: 'a', execId: 'e1', width: 120, height: 40 } as never);
  await service.start(execRef('a', 'e1'));
  service.closeIO({ id: 'a', execId: 'e1', stdin: true } as never);
  await service.kill({ id: 'a', execId: 'e1', signal: 15, all: false } as never);
  const exec = containers[0]!.execs[0]!;
  assert.equal([exec.signals, exec.sizes, exec.stdinClosed], [[15], [[120, 40]], true]);
  assert.equal([containers[0]!.signals, containers[0]!.stdinClosed], [[], false]);
  assert.is((await service.wait(execRef('a', 'e1'))).exitStatus, 143);
});

test('exec: a Kill before Start ends the exec with 128+signal, and it cannot start', async () => {
  const { service, payloads } = await runningTask();
  await service.exec(execRequest('a', 'e1'));
  await service.kill({ id: 'a', execId: 'e1', signal: 9, all: false } as never);
  assert.is((await service.wait(execRef('a', 'e1'))).exitStatus, 137);
  assert.equal(fromBinary(TaskExitSchema, payloads.at(-1)!).id, 'e1');
  assert.is(await code(service.start(execRef('a', 'e1'))), 9);
});

test('exec: when the task exits, its running execs are killed and their TaskExit goes out before the task\'s', async () => {
  const { service, topics, payloads, containers } = await runningTask();
  await service.exec(execRequest('a', 'e1'));
  await service.start(execRef('a', 'e1'));
  await service.exec(execRequest('a', 'idle'));
  containers[0]!.exit(0);
  await service.wait(ref('a'));
  assert.equal(containers[0]!.execs[0]!.signals, [9]);
  assert.is((await service.wait(execRef('a', 'e1'))).exitStatus, 137);
  const exits = topics.flatMap((topic, i) => (topic === '/tasks/exit' ? [fromBinary(TaskExitSchema, payloads[i]!).id] : []));
  assert.equal(exits, ['e1', 'a']);
  assert.is(await code(service.start(execRef('a', 'idle'))), 9, 'an exec cannot start once the task has exited');
  assert.is(await code(service.exec(execRequest('a', 'late'))), 9, 'nor be added');
});

test('exec: the task\'s Delete cleans up the execs nobody deleted, and their Waits return', async () => {
  const { service, containers } = await runningTask();
  await service.exec(execRequest('a', 'idle'));
  const waiting = service.wait(execRef('a', 'idle'));
  containers[0]!.exit(0);
  await service.wait(ref('a'));
  await service.delete(ref('a'));
  await waiting;
  assert.is(containers[0]!.execs[0]!.cleaned, 1);
  assert.is(containers[0]!.cleaned, 1);
});

test('exec into a container that cannot run one (wasm) passes its FailedPrecondition on and adds nothing', async () => {
  const { service, topics, containers } = await runningTask();
  containers[0]!.execError = new ShimError(9, 'task a is a WebAssembly container');
  assert.is(await code(service.exec(execRequest('a', 'e1'))), 9);
  assert.is(await code(() => service.state(execRef('a', 'e1'))), 5);
  assert.not.ok(topics.includes('/tasks/exec-added'));
  containers[0]!.execError = undefined;
  await service.exec(execRequest('a', 'e1'));
});

const updateRequest = (id: string, json: string) =>
  create(api.UpdateTaskRequestSchema, { id, resources: { typeUrl: LINUX_RESOURCES_TYPE_URL, value: new TextEncoder().encode(json) } });

test('update: a running task\'s container gets the resources exactly as sent', async () => {
  const { service, containers } = setup();
  await service.create(createRequest('a'));
  await service.start(ref('a'));
  const json = '{"memory":{"limit":9223372036854771712},"cpu":{"quota":50000,"period":100000}}';
  assert.equal(await service.update(updateRequest('a', json)), {});
  assert.is(containers[0]!.updates.length, 1);
  assert.is(containers[0]!.updates[0]!.json, json, 'an int64 above 2^53 reaches runc unrounded');
  assert.is(containers[0]!.updates[0]!.resources.cpu?.quota, 50000);
});

test('update: created, starting and stopped tasks are FailedPrecondition, a gone one NotFound, bad resources InvalidArgument; none reaches the container', async () => {
  const { service, containers } = setup();
  const good = '{"memory":{"limit":268435456}}';
  assert.is(await code(service.update(updateRequest('a', good))), 5);
  await service.create(createRequest('a'));
  assert.is(await code(service.update(updateRequest('a', good))), 9);
  containers[0]!.hangs = true;
  const starting = service.start(ref('a'));
  await Promise.resolve();
  assert.is(await code(service.update(updateRequest('a', good))), 9);
  await service.kill({ id: 'a', execId: '', signal: 9, all: false } as never);
  await starting.catch(() => {});
  assert.is(await code(service.update(updateRequest('a', good))), 9);
  await service.create(createRequest('b'));
  await service.start(ref('b'));
  assert.is(await code(service.update(updateRequest('b', '{"memory":{"limit":"256Mi"}}'))), 3);
  assert.is(await code(service.update(create(api.UpdateTaskRequestSchema, { id: 'b' }))), 3);
  containers[1]!.exit(0);
  await service.wait(ref('b'));
  assert.is(await code(service.update(updateRequest('b', good))), 9);
  assert.equal(containers.map((c) => c.updates.length), [0, 0]);
});

test('update: the container\'s refusal (a shrink below usage) reaches the caller as it is', async () => {
  const { service, containers } = setup();
  await service.create(createRequest('a'));
  await service.start(ref('a'));
  containers[0]!.updateError = new ShimError(9, 'the memory limit of task a cannot go down');
  assert.is(await code(service.update(updateRequest('a', '{"memory":{"limit":1048576}}'))), 9);
  assert.is(service.state(ref('a')).status, 2, 'the task runs on');
});

test.run();
