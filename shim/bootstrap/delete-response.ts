// The one message `delete` prints: containerd.task.v2.DeleteResponse{pid=1, exit_status=2, exited_at=3}.
import { timestampField, varintField } from './proto-wire.ts';

export function encodeDeleteResponse(pid: number, exitStatus: number, exitedAt: Date): Uint8Array {
  return Uint8Array.from([...varintField(1, pid), ...varintField(2, exitStatus), ...timestampField(3, exitedAt)]);
}
