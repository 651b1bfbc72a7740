// One process of a task, its init or an exec: the only owner of its state, pid, exit status and the
// promise of its exit. The task service decides what each move publishes and what else it touches.
import { timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { cancelled, notFound } from '../errors.ts';
import type * as api from '../protocol/gen/task_pb.ts';
import type { ProcessRunner } from './container.ts';
import { STATUS, transition, type TaskState } from './state.ts';

// What Wait and Delete report for a process whose Start failed, as containerd's runc shim does.
const START_FAILED_STATUS = 255;

export interface ProcessStdio {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export interface DeleteResult {
  pid: number;
  exitStatus: number;
  exitedAt: Timestamp | undefined;
}

export class TaskProcess<Runner extends ProcessRunner = ProcessRunner> {
  // Whose process it is, for messages: "task a", "exec process e1 of task a".
  readonly name: string;
  readonly stdio: ProcessStdio;
  readonly runner: Runner;
  // A Delete under way: a second one shares its result instead of cleaning and publishing twice.
  deleting: Promise<DeleteResult> | undefined;
  #state: TaskState = 'created';
  #starting = false;
  // The signal a Kill sent while the process was starting: Start then fails, and it ends by it.
  #killedWhileStarting: number | undefined;
  #pid = 0;
  #exitStatus = 0;
  #exitedAt: Timestamp | undefined;
  readonly #exitReported = Promise.withResolvers<void>();

  constructor(name: string, stdio: ProcessStdio, runner: Runner) {
    this.name = name;
    this.stdio = stdio;
    this.runner = runner;
  }

  get state(): TaskState {
    return this.#state;
  }

  get starting(): boolean {
    return this.#starting;
  }

  get pid(): number {
    return this.#pid;
  }

  // Resolves once the exit is recorded and reported (TaskExit is out), or Start failed.
  get exitReported(): Promise<void> {
    return this.#exitReported.promise;
  }

  async start(): Promise<number> {
    transition(this.name, this.#starting ? 'running' : this.#state, 'start');
    this.#starting = true;
    try {
      this.#pid = await this.runner.start();
    } catch (error) {
      // A failed Start ends the process: its stdio and exit promise are spent, so it is not reusable.
      this.recordExit(this.#killedWhileStarting ? 128 + this.#killedWhileStarting : START_FAILED_STATUS);
      this.markExitReported();
      throw error;
    } finally {
      this.#starting = false;
    }
    this.#state = transition(this.name, this.#state, 'start');
    return this.#pid;
  }

  // Records the exit once: false when the process had ended already.
  recordExit(status: number): boolean {
    if (this.#state !== 'running' && this.#state !== 'created') return false;
    this.#state = transition(this.name, this.#state, 'exit');
    this.#exitStatus = status;
    this.#exitedAt = timestampFromDate(new Date());
    return true;
  }

  markExitReported(): void {
    this.#exitReported.resolve();
  }

  // Signals the process. True when it was created and never started: the caller then ends it with
  // 128+signal, as if it had run and been killed.
  async kill(signal: number, all: boolean): Promise<boolean> {
    if (this.#starting) {
      // runc may never return (a stuck node): a Kill must still end the process.
      this.#killedWhileStarting ??= signal;
      await this.runner.kill(signal, all);
      return false;
    }
    if (this.#state === 'created') return true;
    if (this.#state !== 'running') throw notFound(`${this.name} has already exited: there is no process to signal`);
    await this.runner.kill(signal, all);
    return false;
  }

  // A Wait whose caller went away (or whose deadline passed) is let go, not held until the exit.
  async wait(signal?: AbortSignal): Promise<MessageInitShape<typeof api.WaitResponseSchema>> {
    if (signal) {
      const { promise: given, reject } = Promise.withResolvers<never>();
      const abandon = () => reject(cancelled(`Wait for ${this.name} was cancelled: ${String(signal.reason?.message ?? signal.reason)}`));
      if (signal.aborted) abandon();
      signal.addEventListener('abort', abandon, { once: true });
      try {
        await Promise.race([this.exitReported, given]);
      } finally {
        signal.removeEventListener('abort', abandon);
      }
    } else await this.exitReported;
    return { exitStatus: this.#exitStatus, exitedAt: this.#exitedAt };
  }

  // Checks that the process may be deleted now; returns the state it will then be in.
  deletable(): TaskState {
    if (this.#starting) transition(this.name, 'running', 'delete');
    return transition(this.name, this.#state, 'delete');
  }

  // Once what the process left is removed: a process that never started ends now, for its Waits.
  markDeleted(next: TaskState): DeleteResult {
    if (this.#state === 'created') {
      this.#exitedAt = timestampFromDate(new Date());
      this.markExitReported();
    }
    this.#state = next;
    return this.result();
  }

  result(): DeleteResult {
    return { pid: this.#pid, exitStatus: this.#exitStatus, exitedAt: this.#exitedAt };
  }

  status(): DeleteResult & ProcessStdio & { status: number } {
    return {
      pid: this.#pid,
      status: STATUS[this.#state],
      stdin: this.stdio.stdin,
      stdout: this.stdio.stdout,
      stderr: this.stdio.stderr,
      terminal: this.stdio.terminal,
      exitStatus: this.#exitStatus,
      exitedAt: this.#exitedAt,
    };
  }
}
