// wasi:clocks: the monotonic clock in nanoseconds and the wall clock as seconds + nanoseconds.
import { monotonicNow, Pollable } from './io.ts';

export interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

// Date has milliseconds only: the wall clock is the monotonic one plus the epoch offset taken once.
const epochOffset = BigInt(Date.now()) * 1_000_000n - monotonicNow();

function wallNow(): Datetime {
  const ns = monotonicNow() + epochOffset;
  return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
}

function until(deadline: bigint): Pollable {
  return new Pollable({ ready: () => monotonicNow() >= deadline, deadline });
}

export const clockInterfaces = {
  'wasi:clocks/monotonic-clock': {
    now: monotonicNow,
    resolution: () => 1n,
    subscribeInstant: (when: bigint) => until(when),
    subscribeDuration: (duration: bigint) => until(monotonicNow() + duration),
  },
  'wasi:clocks/wall-clock': {
    now: wallNow,
    resolution: (): Datetime => ({ seconds: 0n, nanoseconds: 1_000_000 }),
  },
};
