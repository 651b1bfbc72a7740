import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesField, readFields, stringField, varintField, WireError } from './proto-wire.ts';

test('fields written are read back; negative enums travel as ten bytes', () => {
  const message = Uint8Array.from([...varintField(1, 300), ...stringField(2, 'héllo'), ...bytesField(3, [1, 2, 3]), ...varintField(4, -4)]);
  const fields = readFields(message);
  assert.equal(fields.map((f) => f.number), [1, 2, 3, 4]);
  assert.equal(fields[0], { number: 1, varint: 300n });
  assert.is(BigInt.asIntN(64, (fields[3] as { varint: bigint }).varint), -4n);
  assert.is(varintField(4, -4).length, 11);
});

test('a message cut at any offset is an error or a prefix of its fields, never a hang', () => {
  const message = Uint8Array.from([...stringField(1, 'abcdef'), ...varintField(2, 2 ** 40)]);
  for (let cut = 0; cut < message.length; cut++) {
    try {
      readFields(message.subarray(0, cut));
    } catch (error) {
      assert.instance(error, WireError);
    }
  }
  assert.throws(() => readFields(Uint8Array.of(0x0b)), /wire type 3/);
});

test.run();
