import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGuestConfig } from './guest.ts';

test('a guest config reads back; malformed ones are errors naming the file', () => {
  const config = { engine: 'component-command', module: '/c', args: ['m'], env: ['A=1'], cwd: '/app' };
  assert.equal(parseGuestConfig(JSON.stringify(config), 'g.json'), config);
  assert.throws(() => parseGuestConfig('{', 'g.json'), /g.json is not JSON/);
  assert.throws(() => parseGuestConfig('{"module":1}', 'g.json'), /g.json does not hold a guest config/);
  assert.throws(() => parseGuestConfig(JSON.stringify({ ...config, engine: 'guess' }), 'g.json'), /does not hold a guest config \(engine/);
});

test.run();
