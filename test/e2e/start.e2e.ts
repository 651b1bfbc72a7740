// `start` as containerd runs it, many at once for one group: the socket is bound by a `start` and
// handed to the one daemon; the others find it. Then `delete` after the daemon is killed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before } from '../before.ts';
import { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { shimPids } from './leftovers.ts';
import { until } from './poll.ts';

const binary = join(import.meta.dirname, '../../dist/containerd-shim-wasmts-v1');
const work = mkdtempSync('/tmp/wasmts-start-');
let containerd: PrivateContainerd;

before(test, async () => {
  containerd = new PrivateContainerd({ shimDir: join(import.meta.dirname, '../../dist') });
  await containerd.start();
});

test.after(async () => {
  await containerd?.stop();
  rmSync(work, { recursive: true, force: true });
});

const shim = (bundle: string, command: string) => containerd.exec('sh', ['-c', `cd '${bundle}' && exec '${binary}' -namespace wasmts-test -address '${containerd.socket}' -publish-binary /usr/bin/true -id group-ten ${command}`]);

test('ten concurrent starts for one group spawn one daemon and all answer its address; nothing is left once it is gone', async () => {
  const bundles = Array.from({ length: 10 }, (_, i) => join(work, `bundle-${i}`));
  for (const bundle of bundles) {
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { args: ['/app.wasm'], cwd: '/' }, root: { path: 'rootfs' } }));
  }
  const results = await Promise.all(bundles.map((bundle) => shim(bundle, 'start')));
  for (const result of results) assert.is(result.code, 0, result.stderr);
  const addresses = new Set(results.map((result) => /unix:\/\/[^"\s]+/.exec(result.stdout)?.[0]));
  assert.is(addresses.size, 1, [...addresses].join(' '));
  const socket = [...addresses][0]!.slice('unix://'.length);
  const daemons = shimPids(containerd, 'group-ten');
  assert.is(daemons.length, 1, `daemons: ${daemons.join(' ')}`);
  assert.is((await containerd.exec('sh', ['-c', `test -S '${socket}'`])).code, 0, 'the socket is there');
  process.kill(daemons[0]!, 'SIGKILL');
  await until(() => shimPids(containerd, 'group-ten').length === 0, 'the daemon to die');
  const deleted = await shim(bundles[0]!, 'delete');
  assert.is(deleted.code, 0, deleted.stderr);
  assert.is((await containerd.exec('sh', ['-c', `test -e '${socket}'`])).code, 1, 'the dead daemon\'s socket is removed');
  assert.is((await containerd.exec('sh', ['-c', `ls -A "$(dirname '${socket}')"`])).stdout, '', 'no lock or temporary socket beside it');
});

test.run();
