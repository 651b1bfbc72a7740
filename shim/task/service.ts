// containerd.task.v2.Task as domain logic: tasks, their state machine, their events. It knows neither
// ttrpc nor runc; adapter.ts wires it to the wire, a ContainerFactory to the thing that runs tasks.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, unimplemented } from '../errors.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { Logger } from '../log.ts';
import { TaskCreateSchema, TaskDeleteSchema, TaskExecAddedSchema, TaskExecStartedSchema, TaskExitSchema, TaskOOMSchema, TaskStartSchema } from '../protocol/gen/events_pb.ts';
import type * as api from '../protocol/gen/task_pb.ts';
import type { Container, ContainerFactory, ExecRunner } from './container.ts';
import { TaskProcess, type DeleteResult } from './process.ts';
import { decodeResources } from './resources.ts';

interface Task {
  id: string;
  bundle: string;
  container: Container;
  // The container's own process: the task's state is its state.
  init: TaskProcess<Container>;
  execs: Map<string, TaskProcess<ExecRunner>>;
  // Exec ids whose Exec is under way, so that a second Exec with one of them is AlreadyExists.
  reserved: Set<string>;
}

export interface TaskServiceOptions {
  createContainer: ContainerFactory;
  events: EventPublisher;
  log: Logger;
  version: string;
  // After a task is gone, its last line logged.
  onDeleted: (id: string) => void;
}

interface ProcessRef {
  id: string;
  execId: string;
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

  #exec(task: Task, execId: string): TaskProcess<ExecRunner> {
    const exec = task.execs.get(execId);
    if (!exec) throw notFound(`exec process ${execId} of task ${task.id} not found`);
    return exec;
  }

  #process(ref: ProcessRef): { task: Task; process: TaskProcess } {
    const task = this.#get(ref.id);
    return { task, process: ref.execId ? this.#exec(task, ref.execId) : task.init };
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
    const task: Task = {
      id,
      bundle: request.bundle,
      container,
      init: new TaskProcess(`task ${id}`, { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal }, container),
      execs: new Map(),
      reserved: new Set(),
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
    if (request.execId) return this.#startExec(this.#get(request.id), request.execId);
    const task = this.#get(request.id);
    const pid = await task.init.start();
    this.#options.log.info('task started', { id: task.id, pid });
    void this.#options.events.publish('/tasks/start', TaskStartSchema, { containerId: task.id, pid });
    void task.container.exited.then((status) => this.#initExited(task, status));
    return { pid };
  }

  async #startExec(task: Task, execId: string): Promise<MessageInitShape<typeof api.StartResponseSchema>> {
    const exec = this.#exec(task, execId);
    if (task.init.state !== 'running') throw failedPrecondition(`task ${task.id} is ${task.init.state}: exec process ${execId} can only start while the task runs`);
    const pid = await exec.start();
    this.#options.log.info('exec started', { id: task.id, execId, pid });
    void this.#options.events.publish('/tasks/exec-started', TaskExecStartedSchema, { containerId: task.id, execId, pid });
    void exec.runner.exited.then((status) => this.#execExited(task, execId, exec, status));
    return { pid };
  }

  // As containerd's runc shim does: the init's TaskExit is the task's last. Its exec processes end
  // with it (their pid namespace is gone, or runc delete kills what the shared one still holds;
  // any left are killed here), and their exits go out first.
  async #initExited(task: Task, status: number): Promise<void> {
    const { init } = task;
    if (!init.recordExit(status)) return;
    const { oomKilled } = await task.container.afterExit().catch((error: Error) => {
      this.#options.log.warn('cleaning up after the exit failed', { id: task.id, error: error.message });
      return { oomKilled: false };
    });
    const live = [...task.execs.values()].filter((exec) => exec.state === 'running' || exec.starting);
    for (const exec of live) await exec.runner.kill(9, false).catch(() => {});
    await Promise.all(live.map((exec) => exec.exitReported));
    this.#options.log.info('task exited', { id: task.id, pid: init.pid, status, oomKilled });
    if (oomKilled) await this.#options.events.publish('/tasks/oom', TaskOOMSchema, { containerId: task.id });
    await this.#publishExit(task, task.id, init);
    init.markExitReported();
  }

  async #execExited(task: Task, execId: string, exec: TaskProcess, status: number): Promise<void> {
    if (!exec.recordExit(status)) return;
    this.#options.log.info('exec exited', { id: task.id, execId, pid: exec.pid, status });
    await this.#publishExit(task, execId, exec);
    exec.markExitReported();
  }

  #publishExit(task: Task, id: string, process: TaskProcess): Promise<void> {
    const { pid, exitStatus, exitedAt } = process.result();
    return this.#options.events.publish('/tasks/exit', TaskExitSchema, { containerId: task.id, id, pid, exitStatus, exitedAt });
  }

  async exec(request: api.ExecProcessRequest): Promise<Record<string, never>> {
    const { execId } = request;
    const task = this.#get(request.id);
    if (!execId) throw invalidArgument(`Exec into task ${task.id} needs an exec id`);
    if (task.execs.has(execId) || task.reserved.has(execId)) throw alreadyExists(`exec process ${execId} already exists in task ${task.id}: use another exec id`);
    if (task.init.state !== 'running') throw failedPrecondition(`task ${task.id} is ${task.init.state}: exec needs a running task`);
    task.reserved.add(execId);
    let runner: ExecRunner;
    try {
      runner = await task.container.exec({ execId, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal, process: request.spec?.value ?? new Uint8Array() });
    } finally {
      task.reserved.delete(execId);
    }
    const stdio = { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal };
    task.execs.set(execId, new TaskProcess(`exec process ${execId} of task ${task.id}`, stdio, runner));
    this.#options.log.info('exec added', { id: task.id, execId });
    void this.#options.events.publish('/tasks/exec-added', TaskExecAddedSchema, { containerId: task.id, execId });
    return {};
  }

  async kill(request: api.KillRequest): Promise<Record<string, never>> {
    const { task, process } = this.#process(request);
    if (request.signal < 1 || request.signal > 64) throw invalidArgument(`signal ${request.signal} is not a signal number (1-64)`);
    if (await process.kill(request.signal, request.all)) {
      const status = 128 + request.signal;
      if (process === task.init) void this.#initExited(task, status);
      else void this.#execExited(task, request.execId, process, status);
    }
    return {};
  }

  async wait(request: api.WaitRequest, signal?: AbortSignal): Promise<MessageInitShape<typeof api.WaitResponseSchema>> {
    return this.#process(request).process.wait(signal);
  }

  async delete(request: api.DeleteRequest): Promise<DeleteResult> {
    const { task, process } = this.#process(request);
    const next = process.deletable();
    if (process !== task.init) {
      const exec = process as TaskProcess<ExecRunner>;
      exec.deleting ??= this.#deleteExec(task, request.execId, exec, next);
      return exec.deleting;
    }
    task.init.deleting ??= this.#delete(task, next);
    return task.init.deleting;
  }

  // An exec's Delete publishes nothing: containerd's runc shim sends TaskDelete for the task only.
  async #deleteExec(task: Task, execId: string, exec: TaskProcess<ExecRunner>, next: TaskProcess['state']): Promise<DeleteResult> {
    if (exec.state === 'stopped') await exec.exitReported;
    await exec.runner.cleanup().catch((error: Error) => {
      this.#options.log.error('cleaning up the exec process failed; remove what is left by hand', { id: task.id, execId, error: error.message });
    });
    task.execs.delete(execId);
    this.#options.log.info('exec deleted', { id: task.id, execId });
    return exec.markDeleted(next);
  }

  async #delete(task: Task, next: TaskProcess['state']): Promise<DeleteResult> {
    const { init } = task;
    // TaskExit goes out before TaskDelete, even when Delete comes while the exit is being reported.
    if (init.state === 'stopped') await init.exitReported;
    // Whatever cleanup finds, the task is gone for containerd: a Delete it retries must not find a
    // half-removed task, and what could not be removed is logged for the operator. Exec processes
    // nobody deleted go with it.
    await Promise.all([...task.execs].map(([execId, exec]) => this.#deleteExec(task, execId, exec, 'deleted')));
    await task.container.cleanup().catch((error: Error) => {
      this.#options.log.error('cleaning up the task failed; remove what is left by hand', { id: task.id, error: error.message });
    });
    const result = init.markDeleted(next);
    this.#tasks.delete(task.id);
    this.#options.log.info('task deleted', { id: task.id });
    await this.#options.events.publish('/tasks/delete', TaskDeleteSchema, { containerId: task.id, id: task.id, ...init.result() });
    this.#options.onDeleted(task.id);
    return result;
  }

  state(request: api.StateRequest): MessageInitShape<typeof api.StateResponseSchema> {
    const { task, process } = this.#process(request);
    return { id: request.execId || task.id, bundle: task.bundle, ...process.status() };
  }

  pids(request: api.PidsRequest): MessageInitShape<typeof api.PidsResponseSchema> {
    const task = this.#get(request.id);
    const pids = task.init.state === 'running' ? task.container.pids() : [];
    return { processes: pids.map((pid) => ({ pid })) };
  }

  stats(request: api.StatsRequest): MessageInitShape<typeof api.StatsResponseSchema> {
    return { stats: this.#get(request.id).container.stats() };
  }

  // New limits for the container's cgroup, which only a running container has (a created one gets
  // its cgroup at Start, from the spec, where containerd's CRI puts a created container's new limits).
  async update(request: api.UpdateTaskRequest): Promise<Record<string, never>> {
    const task = this.#get(request.id);
    const resources = decodeResources(request.resources, task.id);
    const { init } = task;
    if (init.starting) throw failedPrecondition(`task ${task.id} is starting: update its resources once it runs`);
    if (init.state !== 'running') {
      const why = init.state === 'created' ? 'start it before updating its resources' : 'there is no running container to update; a new one takes its limits from its spec';
      throw failedPrecondition(`task ${task.id} is ${init.state}: ${why}`);
    }
    await task.container.update(resources);
    return {};
  }

  connect(request: api.ConnectRequest): MessageInitShape<typeof api.ConnectResponseSchema> {
    const task = this.#tasks.get(request.id);
    return { shimPid: process.pid, taskPid: task?.init.pid ?? 0, version: this.#options.version };
  }

  closeIO(request: api.CloseIORequest): Record<string, never> {
    const { process } = this.#process(request);
    if (request.stdin) process.runner.closeStdin();
    return {};
  }

  async resizePty(request: api.ResizePtyRequest): Promise<Record<string, never>> {
    const { process } = this.#process(request);
    if (process.state === 'stopped' || process.state === 'deleted') throw failedPrecondition(`${process.name} is ${process.state}: there is no terminal to resize`);
    await process.runner.resize(request.width, request.height);
    return {};
  }

  unsupported(method: string, why: string): never {
    throw unimplemented(`${method} is not supported by wasmts: ${why}`);
  }

  refuseNewTasks(): void {
    this.#closing = true;
  }

  // Everything still there is killed and cleaned: Shutdown with `now` ends the daemon regardless.
  async cleanupAll(): Promise<void> {
    const tasks = [...this.#tasks.values()];
    await Promise.all(tasks.flatMap((task) => [...task.execs.values()].map((exec) => exec.runner.cleanup().catch(() => {}))));
    await Promise.all(tasks.map((task) => task.container.cleanup().catch(() => {})));
  }
}
