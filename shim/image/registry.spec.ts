import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildImageArchive, wasmImage } from '../../oci/image.ts';
import { readLayout } from './layout.ts';
import { parseReference, pushImage } from './registry.ts';

test('references need a registry; the tag defaults to latest; bad ones say what a reference is', () => {
  assert.equal(parseReference('127.0.0.1:5000/wasmts/hello'), { registry: '127.0.0.1:5000', repository: 'wasmts/hello', tag: 'latest' });
  assert.equal(parseReference('registry.example.com/a/b:v1.2'), { registry: 'registry.example.com', repository: 'a/b', tag: 'v1.2' });
  assert.throws(() => parseReference('wasmts/hello:v1'), /names no registry: give it as HOST\[:PORT\]\/REPOSITORY\[:TAG\]/);
  assert.throws(() => parseReference('localhost/Upper:v1'), /is not a valid image reference/);
});

// A registry stand-in that asks for a token, as Docker Hub and most hosted registries do.
test('a push follows a bearer challenge with the basic credentials, and sends blobs then the manifest', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(`${req.method} ${req.url?.replace(/\?.*$/, '')} ${auth.split(' ')[0] ?? ''}`);
    if (req.url?.startsWith('/token')) {
      assert.is(auth, `Basic ${Buffer.from('me:secret').toString('base64')}`);
      assert.match(req.url, 'scope=repository%3Awasmts%2Fhello%3Apull%2Cpush');
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t0k"}');
    }
    if (auth !== 'Bearer t0k') {
      const { port } = server.address() as AddressInfo;
      return res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test"` }).end();
    }
    req.resume();
    req.on('end', () => {
      if (req.method === 'HEAD') return res.writeHead(404).end();
      if (req.method === 'POST') return res.writeHead(202, { location: '/v2/wasmts/hello/blobs/uploads/u1?state=x' }).end();
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const reference = parseReference(`127.0.0.1:${port}/wasmts/hello:v1`);
    const layout = await readLayout(await buildImageArchive(wasmImage('x', Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))));
    assert.is(await pushImage(reference, layout, { plainHttp: true, username: 'me', password: 'secret' }), `127.0.0.1:${port}/wasmts/hello:v1`);
    assert.equal(seen.filter((line) => line.endsWith('Bearer')).map((line) => line.split(' ').slice(0, 2).join(' ').replace(/sha256:\w+/, 'DIGEST')), [
      'HEAD /v2/wasmts/hello/blobs/DIGEST', 'POST /v2/wasmts/hello/blobs/uploads/', 'PUT /v2/wasmts/hello/blobs/uploads/u1',
      'HEAD /v2/wasmts/hello/blobs/DIGEST', 'POST /v2/wasmts/hello/blobs/uploads/', 'PUT /v2/wasmts/hello/blobs/uploads/u1',
      'PUT /v2/wasmts/hello/manifests/v1',
    ]);
  } finally {
    server.close();
  }
});

test.run();
