// The seam between the task service and whatever runs a task: runc in production, a stub in tests.
import type { Any } from '@bufbuild/protobuf/wkt';
import type { CreateTaskRequest } from '../protocol/gen/task_pb.ts';

export interface Container {
  // Runs the container's process; resolves with its pid.
  start(): Promise<number>;
  // The exit status once started: 0-255, 128+signal when killed.
  readonly exited: Promise<number>;
  // Rejects with NotFound when the process is already gone.
  kill(signal: number, all: boolean): Promise<void>;
  // After the exit: releases what only a running container needs; tells whether the OOM killer fired.
  afterExit(): Promise<{ oomKilled: boolean }>;
  // Removes everything the container left: processes, runc state, mounts, open fds. Idempotent.
  cleanup(): Promise<void>;
  // Ends the container's stdin.
  closeStdin(): void;
  pids(): number[];
  stats(): Any;
}

export type ContainerFactory = (request: CreateTaskRequest) => Promise<Container>;
