import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create, fromBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { ShimError } from '../errors.ts';
import { EventPublisher } from '../events/publisher.ts';
import { createLogger } from '../log.ts';
import { ForwardRequestSchema } from '../protocol/gen/events_service_pb.ts';
import * as api from '../protocol/gen/task_pb.ts';
import type { Container } from './container.ts';
import { TaskService } from './service.ts';

// A container that runs nothing: the test decides when it exits.
class StubContainer implements Container {
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
  pids() {
    return [4242];
  }
  stats() {
    return create(AnySchema, { typeUrl: 'io.containerd.cgroups.v1.Metrics' });
  }
}

function setup() {
  const topics: string[] = [];
  const containers: StubContainer[] = [];
  let empty = 0;
  const events = new EventPublisher({
    namespace: 'default',
    log: createLogger(() => {}, false),
    transport: async (bytes) => void topics.push(fromBinary(ForwardRequestSchema, bytes).envelope!.topic),
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
    onEmpty: () => empty++,
  });
  return { service, topics, containers, emptied: () => empty };
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
  const { service, topics, containers, emptied } = setup();
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
  assert.is(emptied(), 1);
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

test('shutdown is refused while tasks remain, unless now; CloseIO reaches the container', async () => {
  const { service, containers } = setup();
  assert.is(service.shutdown({ id: '', now: false } as never), true);
  await service.create(createRequest('a'));
  assert.is(service.shutdown({ id: '', now: false } as never), false);
  assert.is(service.shutdown({ id: '', now: true } as never), true);
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
    onEmpty: () => {},
  });
  assert.is(await code(failing.create(createRequest('a'))), 3);
  assert.is(failing.size, 0);
});

test.run();
