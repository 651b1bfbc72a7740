import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShimError } from '../errors.ts';
import { transition, type TaskEvent, type TaskState } from './state.ts';

const legal: [TaskState, TaskEvent, TaskState][] = [
  ['created', 'start', 'running'],
  ['created', 'exit', 'stopped'],
  ['created', 'delete', 'deleted'],
  ['running', 'exit', 'stopped'],
  ['stopped', 'delete', 'deleted'],
];

test('legal moves', () => {
  for (const [from, event, to] of legal) assert.is(transition('task t', from, event), to);
});

test('every other move is FailedPrecondition naming the task and its state', () => {
  const states: TaskState[] = ['created', 'running', 'stopped', 'deleted'];
  const events: TaskEvent[] = ['start', 'exit', 'delete'];
  for (const from of states) {
    for (const event of events) {
      if (legal.some(([f, e]) => f === from && e === event)) continue;
      try {
        transition('task t1', from, event);
        assert.unreachable(`${from} + ${event}`);
      } catch (error) {
        assert.instance(error, ShimError);
        assert.is((error as ShimError).code, 9);
        assert.match((error as Error).message, `task t1 is ${from}`);
      }
    }
  }
});

test.run();
