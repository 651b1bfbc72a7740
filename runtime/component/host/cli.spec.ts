import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliInterfaces } from './cli.ts';
import { randomInterfaces } from './random.ts';

test('cli gives exactly the configured args, env and cwd, no terminal, and exits with the code asked', () => {
  const exits: number[] = [];
  const cli = cliInterfaces({ args: ['a', 'b c'], env: [['K', 'v=1']], cwd: '/app', exit: ((code: number) => exits.push(code)) as never });
  assert.equal(cli['wasi:cli/environment'].getArguments(), ['a', 'b c']);
  assert.equal(cli['wasi:cli/environment'].getEnvironment(), [['K', 'v=1']]);
  assert.is(cli['wasi:cli/environment'].initialCwd(), '/app');
  for (const terminal of [cli['wasi:cli/terminal-stdin'].getTerminalStdin, cli['wasi:cli/terminal-stdout'].getTerminalStdout, cli['wasi:cli/terminal-stderr'].getTerminalStderr]) assert.is(terminal(), undefined);
  cli['wasi:cli/exit'].exit({ tag: 'ok' });
  cli['wasi:cli/exit'].exit({ tag: 'err' });
  cli['wasi:cli/exit'].exitWithCode(42);
  assert.equal(exits, [0, 1, 42]);
  assert.is(cli['wasi:cli/stdout'].getStdout(), cli['wasi:cli/stdout'].getStdout());
});

test('random gives the length asked, and different values each call', () => {
  const random = randomInterfaces['wasi:random/random'];
  assert.is(random.getRandomBytes(33n).length, 33);
  assert.is.not(random.getRandomU64(), random.getRandomU64());
  const [a, b] = randomInterfaces['wasi:random/insecure-seed'].insecureSeed();
  assert.is(typeof a, 'bigint');
  assert.is.not(a, b);
  assert.is(randomInterfaces['wasi:random/insecure'].getInsecureRandomBytes(4n).length, 4);
});

test.run();
