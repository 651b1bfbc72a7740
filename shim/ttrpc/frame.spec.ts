import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, FrameDecoder, FrameType, MAX_PAYLOAD, type Decoded } from './frame.ts';

const frames = [
  { streamId: 1, type: FrameType.request, flags: 0, payload: new Uint8Array([1, 2, 3]) },
  { streamId: 3, type: FrameType.request, flags: 0, payload: new Uint8Array(0) },
  { streamId: 0xfffffffd, type: FrameType.data, flags: 5, payload: new Uint8Array(300).fill(7) },
];
const wire = Uint8Array.from(frames.flatMap((f) => [...encodeFrame(f)]));

test('header is big-endian length, stream id, type, flags', () => {
  const bytes = encodeFrame({ streamId: 0x01020304, type: 2, flags: 1, payload: new Uint8Array([9, 9]) });
  assert.equal([...bytes], [0, 0, 0, 2, 1, 2, 3, 4, 2, 1, 9, 9]);
});

test('decodes the same frames whatever the split, at every offset', () => {
  for (let cut = 0; cut <= wire.length; cut++) {
    const decoder = new FrameDecoder();
    const got = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
    assert.equal(got, frames.map((frame) => ({ frame })), `split at ${cut}`);
  }
});

test('decodes byte by byte', () => {
  const decoder = new FrameDecoder();
  const got: Decoded[] = [];
  for (const byte of wire) got.push(...decoder.push(Uint8Array.of(byte)));
  assert.equal(got, frames.map((frame) => ({ frame })));
});

test('an oversize frame is reported and skipped, and the next frame still decodes', () => {
  const header = new Uint8Array(10);
  const view = new DataView(header.buffer);
  view.setUint32(0, MAX_PAYLOAD + 1);
  view.setUint32(4, 5);
  view.setUint8(8, FrameType.request);
  const next = encodeFrame(frames[0]!);
  const body = new Uint8Array(MAX_PAYLOAD + 1);
  for (const chunkSize of [7, 65536, MAX_PAYLOAD + 100]) {
    const decoder = new FrameDecoder();
    const all = new Uint8Array(header.length + body.length + next.length);
    all.set(header);
    all.set(next, header.length + body.length);
    const got: Decoded[] = [];
    for (let at = 0; at < all.length; at += chunkSize) got.push(...decoder.push(all.subarray(at, at + chunkSize)));
    assert.equal(got, [{ oversize: { streamId: 5, type: FrameType.request, length: MAX_PAYLOAD + 1 } }, { frame: frames[0] }]);
  }
});

test.run();
