// wasi:http servers as pods through containerd's real CRI plugin: a C component and a JavaScript
// one (componentize-js), reached at their pod IPs on :8080 from the node's network namespace, with
// traps, a response never set, an outgoing call to another pod, and the drain on StopContainer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../before.ts';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { RuntimeService, type CriClient } from '../cri/client.ts';
import { HTTP_COMPONENTS, WASM_TEST_IMAGE } from '../fixtures/build.ts';
import { startCriNode, stopCriNode, type CriNode } from './cri-node.ts';
import { CONTAINER_EXITED, CONTAINER_RUNNING, awaitLogLines, logLines, removePod, runPod, startContainer, waitState, type Pod } from './kubelet.ts';
import { until } from './poll.ts';

const work = mkdtempSync('/tmp/wasmts-http-');
let node: CriNode;
let containerd: PrivateContainerd;
let cri: CriClient;

before(test, async () => {
  node = await startCriNode(work);
  ({ containerd, cri } = node);
});

test.after(() => stopCriNode(node, work));

interface Server {
  pod: Pod;
  id: string;
  ip: string;
}

// A pod running one HTTP component; answers once the server listens.
async function serve(component: string, envs: { key: string; value: string }[] = [], port = 8080): Promise<Server> {
  const pod = await runPod(cri, join(work, 'logs'));
  const id = await startContainer(cri, pod, { metadata: { name: 'server', attempt: 0 }, image: { image: WASM_TEST_IMAGE }, command: [`/app/${component}`], envs, logPath: 'server_0.log' });
  await waitState(cri, id, CONTAINER_RUNNING);
  const ip = (await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.id })).status!.network!.ip;
  await until(async () => (await curl(`http://${ip}:${port}/`)).code === 0, `${component} answering on ${ip}:${port}`);
  return { pod, id, ip };
}

// curl from the node's network namespace: `-w` appends the status code on a line of its own.
async function curl(url: string, args: string[] = []): Promise<{ code: number; status: number; body: string }> {
  const result = await containerd.exec('curl', ['-sS', '--max-time', '60', '-w', '\n%{http_code}', ...args, url]);
  const at = result.stdout.lastIndexOf('\n');
  return { code: result.code, status: Number(result.stdout.slice(at + 1)), body: result.stdout.slice(0, at) };
}

test('a C wasi:http pod answers from its pod IP: method, path, query and body in, 1 MiB out', async () => {
  const server = await serve(HTTP_COMPONENTS.c);
  try {
    const hello = await curl(`http://${server.ip}:8080/`);
    assert.equal([hello.status, hello.body], [200, 'hello from a C component\n']);
    // Eight clients at once, on connections of their own, are all answered.
    const together = await Promise.all(Array.from({ length: 8 }, () => curl(`http://${server.ip}:8080/`)));
    assert.equal(together.map((r) => r.status), Array(8).fill(200));
    // A 3 MiB body arrives in chunks; it comes back whole after the request line.
    const payload = 'chunked body '.repeat(250_000);
    const posted = await containerd.exec('curl', ['-sS', '-X', 'PUT', '--data-binary', '@-', `http://${server.ip}:8080/echo?x=1&y=two`], { input: payload });
    assert.is(posted.stdout, `PUT /echo?x=1&y=two\n${payload}`);
    const big = await curl(`http://${server.ip}:8080/big`);
    assert.is(big.body.length, 1 << 20);
    assert.ok(/^x+$/.test(big.body));
  } finally {
    await removePod(cri, server.pod);
  }
});

test('a request that traps or sets no response answers 500, is logged, and the server serves on', async () => {
  const server = await serve(HTTP_COMPONENTS.c);
  try {
    const trapped = await curl(`http://${server.ip}:8080/trap`);
    assert.is(trapped.status, 500);
    const none = await curl(`http://${server.ip}:8080/none`);
    assert.is(none.status, 500);
    assert.is((await curl(`http://${server.ip}:8080/`)).status, 200);
    const lines = await awaitLogLines(server.pod, 'server_0.log', (all) => all.some((l) => l.text.startsWith('the handler set no response')));
    assert.ok(lines.some((l) => l.stream === 'stderr' && /^wasm trap serving GET \/trap: RuntimeError: .*unreachable/.test(l.text)), JSON.stringify(lines));
    assert.ok(lines.some((l) => l.text === 'the handler set no response for GET /none'));
  } finally {
    await removePod(cri, server.pod);
  }
});

test('each request gets a fresh instance unless WASMTS_HTTP_INSTANCE=reuse; WASMTS_HTTP_ADDR moves the port; neither reaches the guest', async () => {
  const fresh = await serve(HTTP_COMPONENTS.c, [{ key: 'GREETING', value: 'hi' }]);
  const reused = await serve(HTTP_COMPONENTS.c, [{ key: 'WASMTS_HTTP_INSTANCE', value: 'reuse' }, { key: 'WASMTS_HTTP_ADDR', value: '0.0.0.0:9090' }], 9090);
  try {
    for (const expected of ['1\n', '1\n']) assert.is((await curl(`http://${fresh.ip}:8080/count`)).body, expected);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) counts.push(Number((await curl(`http://${reused.ip}:9090/count`)).body));
    assert.equal(counts.slice(1).map((n, i) => n - counts[i]!), [1, 1]);
    assert.match((await curl(`http://${fresh.ip}:8080/env`)).body, /^GREETING=hi$/m);
    assert.not.match((await curl(`http://${reused.ip}:9090/env`)).body, /WASMTS_/);
  } finally {
    await removePod(cri, fresh.pod);
    await removePod(cri, reused.pod);
  }
});

test('a JavaScript component serves: headers both ways, a body, 1 MiB, and an outgoing call to another pod', async () => {
  const js = await serve(HTTP_COMPONENTS.js);
  const c = await serve(HTTP_COMPONENTS.c);
  try {
    assert.equal(await curl(`http://${js.ip}:8080/`).then((r) => [r.status, r.body]), [200, 'hello from a JS component\n']);
    const echo = await containerd.exec('curl', ['-sS', '-i', '-H', 'x-test: abc', '--data-binary', 'some body', `http://${js.ip}:8080/echo?q=2`]);
    assert.match(echo.stdout, /^x-echo: abc\r$/m);
    assert.match(echo.stdout, 'POST /echo?q=2\nsome body');
    assert.is((await curl(`http://${js.ip}:8080/big`)).body.length, 1 << 20);
    const outgoing = await curl(`http://${js.ip}:8080/fetch?url=${encodeURIComponent(`http://${c.ip}:8080/`)}`);
    assert.equal([outgoing.status, outgoing.body], [200, '200 hello from a C component\n']);
    assert.is((await curl(`http://${js.ip}:8080/fail`)).status, 500);
    assert.is((await curl(`http://${js.ip}:8080/`)).status, 200);
  } finally {
    await removePod(cri, js.pod);
    await removePod(cri, c.pod);
  }
});

test('StopContainer drains: a request in flight gets its response, then the server exits 0', async () => {
  const server = await serve(HTTP_COMPONENTS.c);
  try {
    const slow = curl(`http://${server.ip}:8080/sleep?ms=1500`);
    // The guest says when it has the request: only then is it in flight.
    await until(async () => logLines(server.pod, 'server_0.log').some((l) => l.text === 'sleeping'), 'the request reaching the guest');
    const stopped = cri.call(RuntimeService.method.stopContainer, { containerId: server.id, timeout: 30n });
    const response = await slow;
    assert.equal([response.status, response.body], [200, 'slept\n']);
    await stopped;
    const exited = await waitState(cri, server.id, CONTAINER_EXITED);
    assert.is(exited.exitCode, 0, exited.reason);
    // After the drain nothing listens.
    assert.is.not((await curl(`http://${server.ip}:8080/`, ['--max-time', '5'])).code, 0);
  } finally {
    await removePod(cri, server.pod);
  }
});

test('StopContainer without a grace period kills at once: the request in flight gets no response, 137', async () => {
  const server = await serve(HTTP_COMPONENTS.c);
  try {
    const slow = curl(`http://${server.ip}:8080/sleep?ms=600000`);
    await until(async () => logLines(server.pod, 'server_0.log').some((l) => l.text === 'sleeping'), 'the request reaching the guest');
    await cri.call(RuntimeService.method.stopContainer, { containerId: server.id, timeout: 0n });
    const response = await slow;
    assert.is.not(response.code, 0, 'the connection ends without a response');
    assert.is((await waitState(cri, server.id, CONTAINER_EXITED)).exitCode, 137);
  } finally {
    await removePod(cri, server.pod);
  }
});

test.run();
