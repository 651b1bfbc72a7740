// The seam between the task service and whatever runs a task: runc in production, a stub in tests.
import type { Any } from '@bufbuild/protobuf/wkt';
import type { CreateTaskRequest } from '../protocol/gen/task_pb.ts';
import type { ResourceUpdate } from './resources.ts';

// One process of a task as it runs: the container's init, or an exec process.
export interface ProcessRunner {
  // Runs the process; resolves with its pid.
  start(): Promise<number>;
  // The exit status once started: 0-255, 128+signal when killed.
  readonly exited: Promise<number>;
  // Rejects with NotFound when the process is already gone.
  kill(signal: number, all: boolean): Promise<void>;
  // Ends the process's stdin.
  closeStdin(): void;
  // Sets the window size of the process's terminal; FailedPrecondition when it has none.
  resize(width: number, height: number): Promise<void>;
}

export interface ExecRequest {
  execId: string;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  // The OCI process (runtime-spec's Process) as JSON, as containerd sends it.
  process: Uint8Array;
}

export interface ExecRunner extends ProcessRunner {
  // Ends the process if it still runs and removes what it left: its runc, fds and files. Idempotent.
  cleanup(): Promise<void>;
}

export interface Container extends ProcessRunner {
  // After the exit: releases what only a running container needs; tells whether the OOM killer fired.
  afterExit(): Promise<{ oomKilled: boolean }>;
  // Removes everything the container left: processes, runc state, mounts, open fds. Idempotent.
  cleanup(): Promise<void>;
  // Prepares a process to run in the running container at its start; refuses one the container cannot run.
  exec(request: ExecRequest): Promise<ExecRunner>;
  // Changes the running container's limits; its cgroup has them when this resolves.
  update(resources: ResourceUpdate): Promise<void>;
  pids(): number[];
  stats(): Any;
}

export type ContainerFactory = (request: CreateTaskRequest) => Promise<Container>;
