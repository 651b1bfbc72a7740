import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selfCommand } from './self.ts';

// The specs run from the TypeScript sources: node, its own flags, then the entry script.
test('from the sources, Node options go between node\'s own flags and the entry script', () => {
  const { file, args } = selfCommand(['--max-semi-space-size=1']);
  assert.is(file, process.execPath);
  assert.equal(args, [...process.execArgv, '--max-semi-space-size=1', process.argv[1]]);
  assert.equal(selfCommand().args, [...process.execArgv, process.argv[1]]);
});

test.run();
