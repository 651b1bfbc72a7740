// The lifecycle of a task's process, its init or an exec. Every move goes through transition(); an
// illegal one is FailedPrecondition.
import { failedPrecondition } from '../errors.ts';

export type TaskState = 'created' | 'running' | 'stopped' | 'deleted';
export type TaskEvent = 'start' | 'exit' | 'delete';

// Wire values of containerd.v1.types.Status.
export const STATUS: Record<TaskState, number> = { created: 1, running: 2, stopped: 3, deleted: 3 };

const MOVES: Record<TaskState, Partial<Record<TaskEvent, TaskState>>> = {
  created: { start: 'running', exit: 'stopped', delete: 'deleted' },
  running: { exit: 'stopped' },
  stopped: { delete: 'deleted' },
  deleted: {},
};

const WHY: Record<TaskEvent, string> = {
  start: 'only a created process can be started',
  exit: 'only a created or running process can exit',
  delete: 'a running process cannot be deleted: kill it first',
};

// `name` says whose process it is: "task a", "exec process e1 of task a".
export function transition(name: string, from: TaskState, event: TaskEvent): TaskState {
  const to = MOVES[from][event];
  if (!to) throw failedPrecondition(`${name} is ${from}: ${WHY[event]}`);
  return to;
}
