// wasi:http servers written in C without libc, made components: the shim's `image example http`
// (scripts/build.ts) and the test fixtures' C server (test/fixtures/build.ts) are built the same way,
// against the same WIT packages.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

const root = join(dirname(new URL(import.meta.url).pathname), '..');

// jco's WIT packages at the version componentize-js's engine imports (0.2.10): jco's 0.2.12 text with
// the version renamed (jco ships only part of 0.2.10), with the world file beside them as the root
// package. Made once into `outDir`, named by what goes in: the world, and this function's own text.
export function writeWit(world: string, outDir: string): string {
  const text = readFileSync(world);
  const wit = join(outDir, `wit-${createHash('sha256').update(text).update(writeWit.toString()).digest('hex').slice(0, 12)}`);
  if (existsSync(wit)) return wit;
  const builtin = join(root, 'node_modules/@bytecodealliance/jco/lib/wit/builtin');
  const staging = `${wit}.${process.pid}.tmp`;
  for (const name of readdirSync(join(builtin, '0.2.12'))) {
    mkdirSync(join(staging, 'deps', name), { recursive: true });
    writeFileSync(join(staging, 'deps', name, 'package.wit'), readFileSync(join(builtin, '0.2.12', name, 'package.wit'), 'utf8').replaceAll('@0.2.12', '@0.2.10'));
  }
  writeFileSync(join(staging, 'world.wit'), text);
  // Test files of several containerd versions build at once: another may have published it
  // meanwhile, with the same content.
  try {
    renameSync(staging, wit);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  return wit;
}

// The C source compiled to a core module at `core`, the world's types embedded in it, and the
// component made from that.
export async function componentFromC(source: string, wit: string, world: string, core: string): Promise<Uint8Array> {
  const staging = `${core}.${process.pid}.tmp`;
  try {
    execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-nostartfiles', '-O2', '-s', '-Wl,--no-entry', source, '-o', staging], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`clang is missing, which builds ${source}: run make setup (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)`);
    throw new Error(`clang could not build ${source} (its errors are above)`);
  }
  renameSync(staging, core);
  // jco's tools run on preview2-shim, whose filesystem sees only the preopens it is given and has no
  // working directory: a relative WIT path is not found (a panic inside wasm-tools).
  (_setPreopens as (preopens: Record<string, string>) => void)({ '/': '/' });
  return componentNew(await componentEmbed({ binary: readFileSync(core), witPath: resolve(wit), world }), []);
}
