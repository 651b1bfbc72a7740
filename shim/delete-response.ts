// The one message `delete` prints, encoded by hand: loading the protobuf runtime and its descriptors
// would cost that short-lived process more than half its run time.

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function field(number: number, value: number | bigint): number[] {
  return value === 0 || value === 0n ? [] : [(number << 3) | 0, ...varint(value)];
}

// containerd.task.v2.DeleteResponse{pid=1, exit_status=2, exited_at=3 (google.protobuf.Timestamp)}.
export function encodeDeleteResponse(pid: number, exitStatus: number, exitedAt: Date): Uint8Array {
  const ms = exitedAt.getTime();
  const seconds = Math.floor(ms / 1000);
  const timestamp = [...field(1, seconds), ...field(2, (ms - seconds * 1000) * 1_000_000)];
  return Uint8Array.from([...field(1, pid), ...field(2, exitStatus), 0x1a, timestamp.length, ...timestamp]);
}
