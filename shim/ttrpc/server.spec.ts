import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../../test/before.ts';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShimError, notFound } from '../errors.ts';
import { TtrpcClient } from './client.ts';
import { create, toBinary } from '@bufbuild/protobuf';
import { RequestSchema } from '../protocol/gen/ttrpc_pb.ts';
import { decodeResponse, encodeRequest } from './codec.ts';
import { Router } from './dispatch.ts';
import { encodeFrame, FrameDecoder, FrameType, MAX_PAYLOAD } from './frame.ts';
import { TtrpcServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'ttrpc-'));
const path = join(dir, 'sock');
const router = new Router();
router.add('test.Echo', 'Echo', async (payload) => payload);
router.add('test.Echo', 'Slow', async (payload) => {
  await new Promise((resolve) => setTimeout(resolve, 30));
  return payload;
});
router.add('test.Echo', 'Missing', async () => {
  throw notFound('no such task');
});
// Bugs, not domain errors: one thrown before the handler's first await, one rejected after it.
router.add('test.Echo', 'Bug', ((payload: Uint8Array) => {
  if (payload.length === 0) throw new TypeError("Cannot read properties of undefined (reading 'pid')");
  return Promise.reject(new RangeError('offset out of range'));
}) as never);
const server = new TtrpcServer(router, () => {});

before(test, () => server.listen(path));
test.after(async () => {
  await server.close();
  rmSync(dir, { recursive: true });
});

async function expectCode(promise: Promise<unknown>, code: number) {
  try {
    await promise;
    assert.unreachable('expected an error');
  } catch (error) {
    assert.instance(error, ShimError);
    assert.is((error as ShimError).code, code);
  }
}

test('echoes payloads, with many requests in flight and replies out of order', async () => {
  const client = await TtrpcClient.connect(path);
  const slow = client.call('test.Echo', 'Slow', Uint8Array.of(1));
  const fast = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call('test.Echo', 'Echo', Uint8Array.of(i, 2))));
  assert.equal(fast.map((b) => b[0]), Array.from({ length: 50 }, (_, i) => i));
  assert.equal([...(await slow)], [1]);
  client.close();
});

test('serves several connections at once', async () => {
  const clients = await Promise.all([1, 2, 3].map(() => TtrpcClient.connect(path)));
  const answers = await Promise.all(clients.map((c, i) => c.call('test.Echo', 'Slow', Uint8Array.of(i))));
  assert.equal(answers.map((b) => b[0]), [0, 1, 2]);
  for (const c of clients) c.close();
});

test('unknown service or method is Unimplemented; a domain error keeps its code', async () => {
  const client = await TtrpcClient.connect(path);
  await expectCode(client.call('test.Nope', 'Echo', new Uint8Array()), 12);
  await expectCode(client.call('test.Echo', 'Nope', new Uint8Array()), 12);
  await expectCode(client.call('test.Echo', 'Missing', new Uint8Array()), 5);
  client.close();
});

test('a handler that throws or rejects with a bug answers that call with Unknown; the other connections and calls go on', async () => {
  const [buggy, other] = await Promise.all([TtrpcClient.connect(path), TtrpcClient.connect(path)]);
  const slow = other.call('test.Echo', 'Slow', Uint8Array.of(7));
  await expectCode(buggy.call('test.Echo', 'Bug', new Uint8Array()), 2);
  await expectCode(buggy.call('test.Echo', 'Bug', Uint8Array.of(1)), 2);
  assert.equal([...(await buggy.call('test.Echo', 'Echo', Uint8Array.of(1)))], [1], 'the same connection serves on');
  assert.equal([...(await slow)], [7], 'a call in flight on another connection is answered');
  buggy.close();
  other.close();
});

function rawExchange(frames: Uint8Array[]): Promise<{ streamId: number; code: number }[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    const decoder = new FrameDecoder();
    const got: { streamId: number; code: number }[] = [];
    socket.on('data', (chunk) => {
      for (const item of decoder.push(chunk)) {
        if (!('frame' in item)) continue;
        const result = decodeResponse(item.frame.payload);
        got.push({ streamId: item.frame.streamId, code: 'code' in result ? result.code : 0 });
        if (got.length === frames.length) {
          socket.destroy();
          resolve(got);
        }
      }
    });
    socket.on('error', reject);
    for (const frame of frames) socket.write(frame);
  });
}

test('a malformed request payload is InvalidArgument; an oversize frame is ResourceExhausted; the connection survives', async () => {
  const header = new Uint8Array(10);
  new DataView(header.buffer).setUint32(0, MAX_PAYLOAD + 1);
  new DataView(header.buffer).setUint32(4, 7);
  header[8] = FrameType.request;
  const oversize = new Uint8Array(10 + MAX_PAYLOAD + 1);
  oversize.set(header);
  const got = await rawExchange([
    encodeFrame({ streamId: 5, type: FrameType.request, flags: 0, payload: Uint8Array.of(0xff, 0xff, 0xff) }),
    oversize,
    encodeFrame({ streamId: 9, type: FrameType.request, flags: 0, payload: new Uint8Array() }),
  ]);
  assert.equal(got.sort((a, b) => a.streamId - b.streamId), [
    { streamId: 5, code: 3 },
    { streamId: 7, code: 8 },
    { streamId: 9, code: 12 },
  ]);
});

test('close answers the calls already in flight before it ends the connection', async () => {
  const own = join(dir, 'closing');
  const received = Promise.withResolvers<void>();
  const holding = new Router();
  holding.add('test.Hold', 'Echo', async (payload) => {
    received.resolve();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return payload;
  });
  const closing = new TtrpcServer(holding, () => {});
  await closing.listen(own);
  const client = await TtrpcClient.connect(own);
  const slow = client.call('test.Hold', 'Echo', Uint8Array.of(7));
  await received.promise;
  await closing.close();
  assert.equal([...(await slow)], [7]);
  client.close();
});

test('a client that sends without reading its replies is not read from past a bound, and is served once it reads', async () => {
  const own = join(dir, 'pressure');
  let handled = 0;
  const counting = new Router();
  counting.add('test.Big', 'Echo', async (payload) => (handled++, payload));
  const pressured = new TtrpcServer(counting, () => {});
  await pressured.listen(own);
  const requests = 48;
  const payload = new Uint8Array(1 << 20);
  const socket = net.connect(own);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.pause();
  for (let i = 0; i < requests; i++) socket.write(encodeFrame({ streamId: 2 * i + 1, type: FrameType.request, flags: 0, payload: encodeRequest('test.Big', 'Echo', payload) }));
  // Handled stops growing once the daemon stops reading: wait until it holds still.
  let last = -1;
  while (handled !== last) {
    last = handled;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(handled < requests, `all ${handled} requests were read while no reply was taken`);
  const decoder = new FrameDecoder();
  let replies = 0;
  const all = new Promise<void>((resolve) => socket.on('data', (chunk: Buffer) => {
    replies += decoder.push(chunk).filter((item) => 'frame' in item).length;
    if (replies === requests) resolve();
  }));
  socket.resume();
  await all;
  assert.is(handled, requests);
  socket.destroy();
  await pressured.close();
});

test('a handler gets the call\'s metadata and a signal that aborts when the connection goes or the deadline passes', async () => {
  const own = join(dir, 'context');
  const seen = Promise.withResolvers<{ namespace: string; signal: AbortSignal }>();
  const router = new Router();
  router.add('test.Ctx', 'Hang', async (_payload, context) => {
    seen.resolve(context);
    return new Promise(() => {});
  });
  const server = new TtrpcServer(router, () => {});
  await server.listen(own);
  const socket = net.connect(own);
  await new Promise((resolve) => socket.once('connect', resolve));
  const request = toBinary(RequestSchema, create(RequestSchema, { service: 'test.Ctx', method: 'Hang', metadata: [{ key: 'containerd-namespace-ttrpc', value: 'k8s.io' }] }));
  socket.write(encodeFrame({ streamId: 1, type: FrameType.request, flags: 0, payload: request }));
  const context = await seen.promise;
  assert.is(context.namespace, 'k8s.io');
  assert.is(context.signal.aborted, false);
  socket.destroy();
  await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
  const timed = toBinary(RequestSchema, create(RequestSchema, { service: 'test.Ctx', method: 'Hang', timeoutNano: 20_000_000n }));
  const { signal } = await new Promise<{ signal: AbortSignal }>((resolve) => {
    router.add('test.Ctx', 'Hang', async (_payload, ctx) => (resolve(ctx), new Promise(() => {})));
    const again = net.connect(own, () => again.write(encodeFrame({ streamId: 1, type: FrameType.request, flags: 0, payload: timed })));
  });
  await new Promise((resolve) => signal.addEventListener('abort', resolve));
  assert.ok(signal.aborted);
  await server.close(0);
});

test.run();
