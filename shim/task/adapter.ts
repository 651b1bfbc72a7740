// Wires the task service to ttrpc: one line per method, served under both names of the task API.
// containerd.task.v3.Task (containerd 2.x after a version 3 bootstrap) is v2 under another package
// name: the same methods and messages, field for field.
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import { Router, unary, type Handler } from '../ttrpc/dispatch.ts';
import * as api from '../protocol/gen/task_pb.ts';
import type { TaskService } from './service.ts';
import { traced } from './traced-call.ts';

export const TASK_SERVICES = ['containerd.task.v2.Task', 'containerd.task.v3.Task'];

// Calls that change a task are spans (shim/tracing); Wait (as long as its process), State and Stats
// (polled) are not.
// Shutdown is the daemon's to decide (daemon-lifetime.ts): other pods' tasks may live in it.
export function taskRouter(service: TaskService, onShutdown: (now: boolean) => void): Router {
  const router = new Router();
  const add = (method: string, handler: Handler) => {
    for (const service of TASK_SERVICES) router.add(service, method, handler);
  };
  add('Create', unary(api.CreateTaskRequestSchema, api.CreateTaskResponseSchema, traced((r) => service.create(r))));
  add('Start', unary(api.StartRequestSchema, api.StartResponseSchema, traced((r) => service.start(r))));
  add('State', unary(api.StateRequestSchema, api.StateResponseSchema, (r) => service.state(r)));
  add('Wait', unary(api.WaitRequestSchema, api.WaitResponseSchema, (r, context) => service.wait(r, context.signal)));
  add('Kill', unary(api.KillRequestSchema, EmptySchema, traced((r) => service.kill(r))));
  add('Delete', unary(api.DeleteRequestSchema, api.DeleteResponseSchema, traced((r) => service.delete(r))));
  add('Pids', unary(api.PidsRequestSchema, api.PidsResponseSchema, (r) => service.pids(r)));
  add('Stats', unary(api.StatsRequestSchema, api.StatsResponseSchema, (r) => service.stats(r)));
  add('Connect', unary(api.ConnectRequestSchema, api.ConnectResponseSchema, (r) => service.connect(r)));
  add('CloseIO', unary(api.CloseIORequestSchema, EmptySchema, traced((r) => service.closeIO(r))));
  add('Exec', unary(api.ExecProcessRequestSchema, EmptySchema, traced((r) => service.exec(r))));
  add('ResizePty', unary(api.ResizePtyRequestSchema, EmptySchema, traced((r) => service.resizePty(r))));
  add('Shutdown', unary(api.ShutdownRequestSchema, EmptySchema, (r) => {
    setImmediate(() => onShutdown(r.now));
    return {};
  }));
  add('Update', unary(api.UpdateTaskRequestSchema, EmptySchema, traced((r) => service.update(r))));
  const unsupported = (method: string, why: string) => add(method, async () => service.unsupported(method, why));
  unsupported('Pause', 'pausing tasks is not implemented yet');
  unsupported('Resume', 'pausing tasks is not implemented yet');
  unsupported('Checkpoint', 'checkpoint and restore are not implemented');
  return router;
}
