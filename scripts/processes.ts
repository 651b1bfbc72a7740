// Processes found by their command line, for leftover checks and memory figures.
import { readFileSync, readdirSync } from 'node:fs';
export { childrenOf } from '../shim/container/children.ts';

export function pidsMatching(test: (cmdline: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (test(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '))) pids.push(Number(entry));
    } catch {
      // Gone already.
    }
  }
  return pids;
}

