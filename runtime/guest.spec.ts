import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGuestConfig } from './guest.ts';

test('a guest config reads back; malformed ones are errors naming the file', () => {
  assert.equal(parseGuestConfig('{"module":"/m.wasm","args":["m"],"env":["A=1"]}', 'g.json'), { module: '/m.wasm', args: ['m'], env: ['A=1'] });
  assert.throws(() => parseGuestConfig('{', 'g.json'), /g.json is not JSON/);
  assert.throws(() => parseGuestConfig('{"module":1}', 'g.json'), /g.json does not hold a guest config/);
});

test.run();
