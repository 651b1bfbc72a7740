// The main job, start to end: a private containerd with our shim on its PATH, a wasm image built
// from C, imported, and run with `ctr run --runtime io.containerd.wasmts.v1`.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { buildImageArchive, wasmImage } from '../oci/image.ts';
import { buildModules, FIXTURE_OUT } from '../test/fixtures/build.ts';
import { PrivateContainerd } from './private-containerd.ts';

const root = join(import.meta.dirname, '..');
const image = 'docker.io/wasmts/hello:demo';
const modules = await buildModules();
const archive = join(FIXTURE_OUT, 'hello-demo.tar');
writeFileSync(archive, await buildImageArchive(wasmImage(image, modules.hello!, '/hello.wasm', ['PATH=/', 'GREETING=hello from wasm'])));

const containerd = new PrivateContainerd({ shimDir: join(root, 'dist') });
await containerd.start();
try {
  const imported = await containerd.ctr(['images', 'import', archive]);
  if (imported.code !== 0) throw new Error(imported.stderr);
  const args = ['run', '--rm', '--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm', image, 'demo', '/hello.wasm', 'from', 'containerd'];
  console.log(`$ ctr ${args.join(' ')}`);
  const started = Date.now();
  const run = await containerd.ctr(args);
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  console.log(`exit status ${run.code} in ${Date.now() - started} ms (containerd 1.6, runc, our shim)`);
  process.exitCode = run.code;
} finally {
  await containerd.stop();
}
