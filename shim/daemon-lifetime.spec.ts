import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DaemonLifetime } from './daemon-lifetime.ts';

function setup({ reserveMs = 40, lingerMs = 5, callOff = 0 } = {}) {
  const state = { tasks: 0, connections: 0, accepted: 0, exits: 0, decided: [] as number[] };
  let refusals = callOff;
  const lifetime = new DaemonLifetime({
    tasks: () => state.tasks,
    connections: () => state.connections,
    accepted: () => state.accepted,
    exit: async (accepted) => {
      state.decided.push(accepted);
      if (refusals-- > 0) return false;
      state.exits++;
      return true;
    },
    reserveMs,
    lingerMs,
  });
  return { state, lifetime };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await settle(2);
}

test('Shutdown with a task left, or with a connection open, does not end the daemon', async () => {
  const { state, lifetime } = setup();
  state.tasks = 1;
  state.connections = 1;
  lifetime.shutdownAsked();
  state.tasks = 0;
  lifetime.peer('closed');
  await settle(30);
  assert.is(state.exits, 0, 'Shutdown came while a task was left: it does not count');
  state.connections = 1;
  lifetime.shutdownAsked();
  await settle(30);
  assert.is(state.exits, 0, 'a connection is open');
  state.connections = 0;
  lifetime.peer('closed');
  await until(() => state.exits === 1);
});

test('a probe holds an idle daemon until its connection speaks, or for the reserve', async () => {
  const { state, lifetime } = setup({ reserveMs: 60 });
  state.accepted = 1;
  lifetime.peer('probed');
  lifetime.shutdownAsked();
  await settle(20);
  assert.is(state.exits, 0, 'reserved by the probe');
  await until(() => state.exits === 1);
  const second = setup({ reserveMs: 10_000 });
  second.lifetime.peer('probed');
  second.lifetime.peer('spoke');
  second.lifetime.shutdownAsked();
  await until(() => second.state.exits === 1);
});

test('a task created after Shutdown cancels it; a connection accepted while deciding calls the exit off', async () => {
  const { state, lifetime } = setup();
  lifetime.shutdownAsked();
  lifetime.taskCreated();
  lifetime.peer('closed');
  await settle(30);
  assert.is(state.exits, 0);
  const raced = setup({ callOff: 1 });
  raced.lifetime.shutdownAsked();
  await until(() => raced.state.decided.length === 1);
  raced.state.accepted = 1;
  raced.lifetime.peer('probed');
  assert.is(raced.state.exits, 0);
  await until(() => raced.state.exits === 1);
  assert.equal(raced.state.decided, [0, 1], 'decided again with the new count');
});

test.run();
