// What containerd pipes into `start` and `-info`. Run by hand on a terminal there is nothing to wait for.
import { fstatSync, readFileSync } from 'node:fs';

export function pipedStdin(): Uint8Array {
  try {
    const stats = fstatSync(0);
    return stats.isFIFO() || stats.isFile() || stats.isSocket() ? readFileSync(0) : new Uint8Array();
  } catch {
    return new Uint8Array();
  }
}
