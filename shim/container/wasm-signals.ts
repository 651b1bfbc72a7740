// WASI has no signals, and the runner is PID 1 of its container, which ignores signals it has no
// handler for. So a signal whose default action ends a process is delivered to a wasm container as
// SIGKILL, and the exit is reported as the signal asked for (128+signal), as if the guest had died of
// it. Other signals (SIGSTOP, SIGCONT, ...) go through unchanged.

export const SIGKILL = 9;

// Default action "terminate" or "core dump" (signal(7)), besides SIGKILL itself; realtime signals
// (SIGRTMIN 34 to SIGRTMAX 64) terminate by default too.
const TERMINATING = new Set([1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 29, 30, 31]);
const SIGRTMIN = 34;
const SIGRTMAX = 64;

const terminates = (signal: number) => TERMINATING.has(signal) || (signal >= SIGRTMIN && signal <= SIGRTMAX);

export interface SignalPlan {
  send: number;
  // The exit status to report if the container dies of the signal sent.
  reportAs?: number;
}

// An HTTP server's runner handles SIGTERM and SIGINT itself: it drains, then exits 0.
const DRAIN_SIGNALS = new Set([2, 15]);

export function planWasmSignal(signal: number, drains = false): SignalPlan {
  if (drains && DRAIN_SIGNALS.has(signal)) return { send: signal };
  if (terminates(signal)) return { send: SIGKILL, reportAs: 128 + signal };
  return { send: signal };
}

// A runner killed by SIGKILL reads as 137 (it said nothing: runc.ts); if that kill was ours standing
// in for another signal, report that signal. A guest that exited by itself before the kill landed
// keeps its code.
export function reportedStatus(status: number, pending: SignalPlan | undefined): number {
  if (pending?.reportAs !== undefined && status === 128 + SIGKILL) return pending.reportAs;
  return status;
}
