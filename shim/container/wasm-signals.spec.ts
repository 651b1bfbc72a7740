import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planWasmSignal, reportedStatus } from './wasm-signals.ts';

test('terminating signals become SIGKILL reported as 128+signal', () => {
  assert.equal(planWasmSignal(15), { send: 9, reportAs: 143 });
  assert.equal(planWasmSignal(2), { send: 9, reportAs: 130 });
  assert.equal(planWasmSignal(1), { send: 9, reportAs: 129 });
});

test('SIGKILL, SIGSTOP, SIGCONT and the like pass through', () => {
  for (const signal of [9, 19, 18, 17, 28, 23, 20]) assert.equal(planWasmSignal(signal), { send: signal });
});

test('the reported status: our stand-in kill shows as the signal asked for; an earlier exit keeps its code', () => {
  assert.is(reportedStatus(137, planWasmSignal(15)), 143);
  assert.is(reportedStatus(0, planWasmSignal(15)), 0);
  assert.is(reportedStatus(3, planWasmSignal(2)), 3);
  assert.is(reportedStatus(137, planWasmSignal(9)), 137);
  assert.is(reportedStatus(137, undefined), 137);
});

test('realtime signals end a wasm container as their default action would: SIGKILL, reported as 128+n', () => {
  assert.equal(planWasmSignal(34), { send: 9, reportAs: 162 });
  assert.equal(planWasmSignal(64), { send: 9, reportAs: 192 });
  assert.equal(planWasmSignal(32), { send: 32 });
});

test.run();
