// containerd.task.v2.Task as domain logic: tasks, their state machine, their events. It knows neither
// ttrpc nor runc; adapter.ts wires it to the wire, a ContainerFactory to the thing that runs tasks.
import { timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { alreadyExists, cancelled, failedPrecondition, invalidArgument, notFound, unimplemented } from '../errors.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { Logger } from '../log.ts';
import { TaskCreateSchema, TaskDeleteSchema, TaskExitSchema, TaskOOMSchema, TaskStartSchema } from '../protocol/gen/events_pb.ts';
import type * as api from '../protocol/gen/task_pb.ts';
import type { Container, ContainerFactory } from './container.ts';
import { STATUS, transition, type TaskState } from './state.ts';

interface Task {
  id: string;
  bundle: string;
  stdio: { stdin: string; stdout: string; stderr: string; terminal: boolean };
  state: TaskState;
  starting: boolean;
  // The signal a Kill sent while the task was starting: Start then fails, and the task ends by it.
  killedWhileStarting?: number;
  pid: number;
  exitStatus: number;
  exitedAt: Timestamp | undefined;
  container: Container;
  // Resolves once the exit is recorded and TaskExit is out.
  exitHandled: Promise<void>;
  // A Delete under way: a second one shares its result instead of cleaning and publishing twice.
  deleting?: Promise<MessageInitShape<typeof api.DeleteResponseSchema>>;
  markExitHandled: () => void;
}

export interface TaskServiceOptions {
  createContainer: ContainerFactory;
  events: EventPublisher;
  log: Logger;
  version: string;
  onEmpty: () => void;
}

// What Wait and Delete report for a task whose Start failed, as containerd's runc shim does.
const START_FAILED_STATUS = 255;

function noExec(execId: string): void {
  if (execId) throw notFound(`exec process ${execId} not found: wasmts does not run exec processes`);
}

export class TaskService {
  readonly #tasks = new Map<string, Task>();
  readonly #creating = new Set<string>();
  #closing = false;
  readonly #options: TaskServiceOptions;

  constructor(options: TaskServiceOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#tasks.size + this.#creating.size;
  }

  #get(id: string): Task {
    const task = this.#tasks.get(id);
    if (!task) throw notFound(`task ${id} not found`);
    return task;
  }

  async create(request: api.CreateTaskRequest): Promise<MessageInitShape<typeof api.CreateTaskResponseSchema>> {
    const { id } = request;
    if (!id) throw invalidArgument('CreateTask needs an id');
    if (this.#closing) throw failedPrecondition(`this shim is shutting down: task ${id} cannot be created in it; containerd starts a new shim for it`);
    if (this.#tasks.has(id) || this.#creating.has(id)) throw alreadyExists(`task ${id} already exists`);
    this.#creating.add(id);
    let container: Container;
    try {
      container = await this.#options.createContainer(request);
    } finally {
      this.#creating.delete(id);
    }
    let markExitHandled!: () => void;
    const exitHandled = new Promise<void>((resolve) => (markExitHandled = resolve));
    const task: Task = {
      id,
      bundle: request.bundle,
      stdio: { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal },
      state: 'created',
      starting: false,
      pid: 0,
      exitStatus: 0,
      exitedAt: undefined,
      container,
      exitHandled,
      markExitHandled,
    };
    this.#tasks.set(id, task);
    this.#options.log.info('task created', { id });
    void this.#options.events.publish('/tasks/create', TaskCreateSchema, {
      containerId: id,
      bundle: request.bundle,
      rootfs: request.rootfs,
      io: { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal },
      checkpoint: request.checkpoint,
      pid: 0,
    });
    return { pid: 0 };
  }

  async start(request: api.StartRequest): Promise<MessageInitShape<typeof api.StartResponseSchema>> {
    noExec(request.execId);
    const task = this.#get(request.id);
    transition(task.id, task.starting ? 'running' : task.state, 'start');
    task.starting = true;
    try {
      task.pid = await task.container.start();
    } catch (error) {
      // A failed Start ends the task: its stdio and exit promise are spent, so it is not reusable.
      task.state = transition(task.id, task.state, 'exit');
      task.exitStatus = task.killedWhileStarting ? 128 + task.killedWhileStarting : START_FAILED_STATUS;
      task.exitedAt = timestampFromDate(new Date());
      task.markExitHandled();
      throw error;
    } finally {
      task.starting = false;
    }
    task.state = transition(task.id, task.state, 'start');
    this.#options.log.info('task started', { id: task.id, pid: task.pid });
    void this.#options.events.publish('/tasks/start', TaskStartSchema, { containerId: task.id, pid: task.pid });
    void task.container.exited.then((status) => this.#onExit(task, status));
    return { pid: task.pid };
  }

  async #onExit(task: Task, status: number): Promise<void> {
    if (task.state !== 'running' && task.state !== 'created') return;
    task.state = transition(task.id, task.state, 'exit');
    task.exitStatus = status;
    task.exitedAt = timestampFromDate(new Date());
    const { oomKilled } = await task.container.afterExit().catch((error: Error) => {
      this.#options.log.warn('cleaning up after the exit failed', { id: task.id, error: error.message });
      return { oomKilled: false };
    });
    this.#options.log.info('task exited', { id: task.id, pid: task.pid, status, oomKilled });
    if (oomKilled) await this.#options.events.publish('/tasks/oom', TaskOOMSchema, { containerId: task.id });
    await this.#options.events.publish('/tasks/exit', TaskExitSchema, {
      containerId: task.id,
      id: task.id,
      pid: task.pid,
      exitStatus: status,
      exitedAt: task.exitedAt,
    });
    task.markExitHandled();
  }

  async kill(request: api.KillRequest): Promise<Record<string, never>> {
    noExec(request.execId);
    const task = this.#get(request.id);
    if (request.signal < 1 || request.signal > 64) throw invalidArgument(`signal ${request.signal} is not a signal number (1-64)`);
    if (task.starting) {
      // runc may never return (a stuck node): a Kill must still end the task.
      task.killedWhileStarting ??= request.signal;
      await task.container.kill(request.signal, request.all);
      return {};
    }
    if (task.state === 'created') {
      void this.#onExit(task, 128 + request.signal);
      return {};
    }
    if (task.state !== 'running') throw notFound(`task ${task.id} has already exited: there is no process to signal`);
    await task.container.kill(request.signal, request.all);
    return {};
  }

  // A Wait whose caller went away (or whose deadline passed) is let go, not held until the exit.
  async wait(request: api.WaitRequest, signal?: AbortSignal): Promise<MessageInitShape<typeof api.WaitResponseSchema>> {
    noExec(request.execId);
    const task = this.#get(request.id);
    if (signal) {
      const { promise: given, reject } = Promise.withResolvers<never>();
      const abandon = () => reject(cancelled(`Wait for task ${task.id} was cancelled: ${String(signal.reason?.message ?? signal.reason)}`));
      if (signal.aborted) abandon();
      signal.addEventListener('abort', abandon, { once: true });
      try {
        await Promise.race([task.exitHandled, given]);
      } finally {
        signal.removeEventListener('abort', abandon);
      }
    } else await task.exitHandled;
    return { exitStatus: task.exitStatus, exitedAt: task.exitedAt };
  }

  async delete(request: api.DeleteRequest): Promise<MessageInitShape<typeof api.DeleteResponseSchema>> {
    noExec(request.execId);
    const task = this.#get(request.id);
    if (task.starting) transition(task.id, 'running', 'delete');
    const next = transition(task.id, task.state, 'delete');
    task.deleting ??= this.#delete(task, next);
    return task.deleting;
  }

  async #delete(task: Task, next: TaskState): Promise<MessageInitShape<typeof api.DeleteResponseSchema>> {
    // TaskExit goes out before TaskDelete, even when Delete comes while the exit is being reported.
    if (task.state === 'stopped') await task.exitHandled;
    // Whatever cleanup finds, the task is gone for containerd: a Delete it retries must not find a
    // half-removed task, and what could not be removed is logged for the operator.
    await task.container.cleanup().catch((error: Error) => {
      this.#options.log.error('cleaning up the task failed; remove what is left by hand', { id: task.id, error: error.message });
    });
    if (task.state === 'created') {
      task.exitedAt = timestampFromDate(new Date());
      task.markExitHandled();
    }
    task.state = next;
    this.#tasks.delete(task.id);
    this.#options.log.info('task deleted', { id: task.id });
    await this.#options.events.publish('/tasks/delete', TaskDeleteSchema, {
      containerId: task.id,
      id: task.id,
      pid: task.pid,
      exitStatus: task.exitStatus,
      exitedAt: task.exitedAt,
    });
    if (this.size === 0) this.#options.onEmpty();
    return { pid: task.pid, exitStatus: task.exitStatus, exitedAt: task.exitedAt };
  }

  state(request: api.StateRequest): MessageInitShape<typeof api.StateResponseSchema> {
    noExec(request.execId);
    const task = this.#get(request.id);
    return {
      id: task.id,
      bundle: task.bundle,
      pid: task.pid,
      status: STATUS[task.state],
      stdin: task.stdio.stdin,
      stdout: task.stdio.stdout,
      stderr: task.stdio.stderr,
      terminal: task.stdio.terminal,
      exitStatus: task.exitStatus,
      exitedAt: task.exitedAt,
    };
  }

  pids(request: api.PidsRequest): MessageInitShape<typeof api.PidsResponseSchema> {
    const task = this.#get(request.id);
    const pids = task.state === 'running' ? task.container.pids() : [];
    return { processes: pids.map((pid) => ({ pid })) };
  }

  stats(request: api.StatsRequest): MessageInitShape<typeof api.StatsResponseSchema> {
    return { stats: this.#get(request.id).container.stats() };
  }

  connect(request: api.ConnectRequest): MessageInitShape<typeof api.ConnectResponseSchema> {
    const task = this.#tasks.get(request.id);
    return { shimPid: process.pid, taskPid: task?.pid ?? 0, version: this.#options.version };
  }

  closeIO(request: api.CloseIORequest): Record<string, never> {
    noExec(request.execId);
    const task = this.#get(request.id);
    if (request.stdin) task.container.closeStdin();
    return {};
  }

  // True when the daemon may exit: containerd asked, and no task is left (or `now`).
  shutdown(request: api.ShutdownRequest): boolean {
    return this.size === 0 || request.now;
  }

  unsupported(method: string, why: string): never {
    throw unimplemented(`${method} is not supported by wasmts: ${why}`);
  }

  refuseNewTasks(): void {
    this.#closing = true;
  }

  // Everything still there is killed and cleaned: Shutdown with `now` ends the daemon regardless.
  async cleanupAll(): Promise<void> {
    await Promise.all([...this.#tasks.values()].map((task) => task.container.cleanup().catch(() => {})));
  }
}
