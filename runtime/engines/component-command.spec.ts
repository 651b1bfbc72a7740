import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../../test/before.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModules, FIXTURE_OUT } from '../../test/fixtures/build.ts';
import { runMain, runnerHarness, type GuestRun } from '../../test/runner-harness.ts';

const harness = runnerHarness();
const transpiled = new Map<string, string>();

before(test, async () => {
  await buildModules();
  for (const name of ['hello', 'cat', 'lines', 'crash', 'sleep', 'tty', 'run-err']) {
    const out = join(harness.dir, name);
    const result = await runMain(['transpile', join(FIXTURE_OUT, `${name}.component.wasm`), out, 'test']);
    assert.is(result.code, 0, result.stderr);
    transpiled.set(name, out);
  }
});
test.after(() => harness.cleanup());

const run = (name: string, args: string[], options: GuestRun = {}) => harness.run(transpiled.get(name)!, [name, ...args], { engine: 'component-command', ...options });

test('args and env are exactly the guest config, and nothing of the host\'s; exit codes are exact', async () => {
  for (const code of [0, 3, 255]) {
    const result = await run('hello', ['x y', ''], { env: ['A=1', `EXIT_CODE=${code}`, 'B=two=parts'] });
    assert.is(result.code, code, result.stderr);
    assert.match(result.stdout, 'arg[0]=hello\narg[1]=x y\narg[2]=\n');
    assert.equal(result.stdout.split('\n').filter((l) => l.startsWith('env ')), ['env A=1', `env EXIT_CODE=${code}`, 'env B=two=parts']);
    assert.is(result.stderr, 'hello on stderr\n');
  }
});

test('stdin is read through to EOF; 10,000 lines arrive, none lost', async () => {
  const input = 'x'.repeat(200_000) + '\nend\n';
  const cat = await run('cat', [], { input });
  assert.is(cat.code, 0, cat.stderr);
  assert.is(cat.stdout, input);
  const lines = await run('lines', ['10000']);
  assert.is(lines.code, 0);
  const out = lines.stdout.split('\n').filter(Boolean);
  assert.is(out.length, 10000);
  assert.is(out[9999], 'line 9999');
  assert.is(lines.stderr.split('\n').filter(Boolean).length, 10);
});

test('a relative path is read from the cwd; a missing file is the program\'s own error', async () => {
  const cwd = join(harness.dir, 'work');
  mkdirSync(join(cwd, 'sub'), { recursive: true });
  writeFileSync(join(cwd, 'sub/notes.txt'), 'relative read\n');
  const result = await run('cat', ['sub/notes.txt'], { cwd });
  assert.is(result.stdout, 'relative read\n', result.stderr);
  assert.is(result.code, 0);
  const missing = await run('cat', ['nope.txt'], { cwd });
  assert.is(missing.code, 2);
  assert.match(missing.stderr, 'nope.txt: No such file or directory');
});

test('a trap exits 134 with the trap on stderr, after what the program wrote', async () => {
  const result = await run('crash', []);
  assert.is(result.code, 134);
  assert.is(result.stdout, 'about to crash\n');
  assert.match(result.stderr, /^wasm trap: RuntimeError: .*unreachable/);
});

test('a clock wait returns, and stdio is never a terminal', async () => {
  assert.is((await run('sleep', ['0', '7'])).code, 7);
  const tty = await run('tty', []);
  assert.is(tty.stdout, 'isatty 0 0 0\n');
});

test('a run that returns err exits 1, saying nothing', async () => {
  const result = await run('run-err', []);
  assert.equal([result.code, result.stderr], [1, '']);
});

test('a cache entry that is not there is a startup failure naming it', async () => {
  const result = await harness.run(join(harness.dir, 'missing'), ['x'], { engine: 'component-command' });
  assert.is(result.code, 1);
  assert.match(result.stderr, /wasmts runner: cannot start the component: .*missing\/component.js/);
});

test.run();
