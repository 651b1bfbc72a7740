import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Fields, fieldsFromRaw, FutureIncomingResponse, IncomingRequest, methodName, methodOf, OutgoingBody, OutgoingRequest, OutgoingResponse, outgoingHandle, ResponseOutparam, type FetchOutcome, type FetchRequest, type Fetcher, type ResponseResult } from './http.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test('fields: names are case-insensitive, values kept in order; bad names and immutable fields refuse', () => {
  const fields = Fields.fromList([['Content-Type', bytes('text/plain')], ['x-a', bytes('1')]]);
  fields.append('X-A', bytes('2'));
  assert.equal(fields.get('x-a').map(text), ['1', '2']);
  assert.ok(fields.has('content-type'));
  fields.set('x-a', [bytes('3')]);
  assert.equal(fields.toNode(), { 'content-type': ['text/plain'], 'x-a': ['3'] });
  fields.delete('x-a');
  assert.not.ok(fields.clone().has('x-a'));
  assert.throws(() => Fields.fromList([['bad name', bytes('')]]), (e: { tag: string }) => e.tag === 'invalid-syntax');
  const incoming = fieldsFromRaw(['Host', 'example', 'X-Multi', 'a', 'x-multi', 'b']);
  assert.equal(incoming.get('x-multi').map(text), ['a', 'b']);
  assert.throws(() => incoming.set('host', []), (e: { tag: string }) => e.tag === 'immutable');
});

test('methods map to WIT variants and back; unknown ones are `other`', () => {
  assert.equal(methodOf('GET'), { tag: 'get' });
  assert.equal(methodOf('PURGE'), { tag: 'other', val: 'PURGE' });
  assert.is(methodName({ tag: 'patch' }), 'PATCH');
  assert.is(methodName({ tag: 'other', val: 'PURGE' }), 'PURGE');
});

test('an incoming request gives its parts and its body once, read in chunks', () => {
  const request = new IncomingRequest({ method: 'POST', pathWithQuery: '/p?q=1', authority: 'host:8080', headers: fieldsFromRaw([]), body: [bytes('abc'), bytes('def')] });
  assert.equal([request.method(), request.pathWithQuery(), request.authority(), request.scheme()], [{ tag: 'post' }, '/p?q=1', 'host:8080', { tag: 'HTTP' }]);
  const stream = request.consume().stream();
  assert.is(text(stream.blockingRead(2n)), 'ab');
  assert.is(text(stream.blockingRead(100n)), 'c');
  assert.is(text(stream.blockingRead(100n)), 'def');
  assert.throws(() => stream.blockingRead(1n), (e: { tag: string }) => e.tag === 'closed');
  assert.throws(() => request.consume());
});

test('a response body written before the response is sent waits, then flows; finish is reported once', () => {
  const response = new OutgoingResponse(new Fields());
  response.setStatusCode(201);
  assert.throws(() => response.setStatusCode(42));
  const body = response.body();
  body.write().blockingWriteAndFlush(bytes('early '));
  const sent: string[] = [];
  let finished = 0;
  const out = new ResponseOutparam((result: ResponseResult) => {
    assert.is(result.tag, 'ok');
    body.sink.attach((chunk) => sent.push(text(chunk)));
    body.sink.onFinish = () => finished++;
  });
  ResponseOutparam.set(out, { tag: 'ok', val: response });
  assert.throws(() => ResponseOutparam.set(out, { tag: 'ok', val: response }), /twice/);
  assert.throws(() => body.write());
  OutgoingBody.finish(body, undefined);
  assert.equal(sent, ['early ']);
  assert.is(finished, 1);
});

// A fetcher that answers at once, as the worker would once its fetch completes.
function fakeFetcher(outcome: FetchOutcome) {
  const sent: FetchRequest[] = [];
  const fetcher: Fetcher = { start: (request) => sent.push(request) - 1, take: () => outcome, wait: () => {} };
  return { fetcher, sent };
}

test('an outgoing request goes out once its body is finished, and its response reads back', () => {
  const { fetcher, sent } = fakeFetcher({ status: 200, headers: [['x-r', '1']], body: bytes('pong') });
  const request = new OutgoingRequest(Fields.fromList([['x-q', bytes('2')]]));
  request.setMethod({ tag: 'post' });
  request.setAuthority('10.0.0.2:8080');
  request.setPathWithQuery('/ping?x=1');
  const body = request.body();
  const future: FutureIncomingResponse = outgoingHandle(fetcher)(request, undefined);
  assert.is(sent.length, 0, 'nothing is sent before the body is finished');
  body.write().write(bytes('payload'));
  OutgoingBody.finish(body, undefined);
  assert.equal(sent.map((r) => [r.method, r.url, text(r.body!), r.headers]), [['POST', 'http://10.0.0.2:8080/ping?x=1', 'payload', [['x-q', '2']]]]);
  assert.ok(future.subscribe().ready());
  const got = future.get() as { tag: 'ok'; val: { tag: 'ok'; val: { status(): number; headers(): Fields; consume(): { stream(): { blockingRead(n: bigint): Uint8Array } } } } };
  assert.is(got.val.val.status(), 200);
  assert.equal(got.val.val.headers().get('x-r').map(text), ['1']);
  assert.is(text(got.val.val.consume().stream().blockingRead(10n)), 'pong');
  assert.equal(future.get(), { tag: 'err', val: undefined });
});

test('an outgoing request without an authority is refused; a failed fetch is its error code', () => {
  const refused = fakeFetcher({ error: { tag: 'connection-refused' } });
  assert.throws(() => outgoingHandle(refused.fetcher)(new OutgoingRequest(new Fields()), undefined), (e: { tag: string }) => e.tag === 'HTTP-request-URI-invalid');
  const request = new OutgoingRequest(new Fields());
  request.setAuthority('127.0.0.1:1');
  const future = outgoingHandle(refused.fetcher)(request, undefined);
  assert.equal(future.get(), { tag: 'ok', val: { tag: 'err', val: { tag: 'connection-refused' } } });
});

test.run();
