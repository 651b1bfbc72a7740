import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../test/before.ts';
import { join } from 'node:path';
import { buildModules, FIXTURE_OUT } from '../test/fixtures/build.ts';
import { runMain, runnerHarness, type GuestRun } from '../test/runner-harness.ts';

const harness = runnerHarness();
before(test, async () => {
  await buildModules();
});
test.after(() => harness.cleanup());

const runGuest = (module: string, args: string[], options: GuestRun = {}) => harness.run(join(FIXTURE_OUT, module), [module, ...args], options);

test('argv and env are exactly the guest config; the exit code is the module\'s', async () => {
  const run = await runGuest('hello.wasm', ['x y', ''], { env: ['A=1', 'EXIT_CODE=42', 'B=two=parts'] });
  assert.is(run.code, 42);
  assert.match(run.stdout, 'arg[0]=hello.wasm\narg[1]=x y\narg[2]=\n');
  const env = run.stdout.split('\n').filter((l) => l.startsWith('env '));
  assert.equal(env, ['env A=1', 'env EXIT_CODE=42', 'env B=two=parts']);
  assert.is(run.stderr, 'hello on stderr\n');
});

test('the exit status goes to the status descriptor too: an exit, a trap, a startup failure', async () => {
  for (const [module, args, code] of [['hello.wasm', [], 0], ['sleep.wasm', ['0', '5'], 5], ['trap.wasm', [], 134], ['missing.wasm', [], 1]] as const) {
    const run = await runGuest(module, [...args], { status: true });
    assert.is(run.code, code, module);
    assert.is(run.status, `${code}\n`, module);
  }
});

test('stdin from a pipe is read through to EOF', async () => {
  const input = 'x'.repeat(200_000) + '\nend\n';
  const run = await runGuest('cat.wasm', [], { input });
  assert.is(run.code, 0);
  assert.is(run.stdout, input);
});

test('a trap exits 134 with the trap on stderr', async () => {
  const run = await runGuest('trap.wasm', []);
  assert.is(run.code, 134);
  assert.match(run.stderr, 'wasm trap: RuntimeError: unreachable');
});

test('a short sleep finishes with its code; env entries without = are dropped', async () => {
  assert.is((await runGuest('sleep.wasm', ['0', '5'])).code, 5);
  const run = await runGuest('hello.wasm', [], { env: ['NOEQUALS', 'OK=1'] });
  assert.equal(run.stdout.split('\n').filter((l) => l.startsWith('env ')), ['env OK=1']);
});

test('a stack overflow is a trap: 134', async () => {
  const run = await runGuest('recurse.wasm', []);
  assert.is(run.code, 134);
  assert.match(run.stderr, 'wasm trap: RangeError: Maximum call stack size exceeded');
});

test('a module that cannot be instantiated, or is missing, is a startup failure with the reason', async () => {
  const foreign = await runGuest('foreign-import.wasm', []);
  assert.is(foreign.code, 1);
  assert.match(foreign.stderr, /wasmts runner: cannot start .*foreign-import.wasm: .*Import #0 "env"/);
  const missing = await runGuest('missing.wasm', []);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, 'wasmts runner: cannot start');
});

test('without a guest config the runner says how it is meant to be started', async () => {
  const { code, stderr } = await runMain(['run']);
  assert.is(code, 1);
  assert.match(stderr, 'no guest config given: the runner is started by containerd-shim-wasmts-v1');
});

test.run();
