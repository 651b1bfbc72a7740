// The executable holds three bundles as assets: the runner's (runtime/, ~50 KB), the one of the
// processes containerd runs per task (-info, start, delete) and the shim's (~1.3 MB, with the
// protocol, jco's transpiler and the operator commands). Measured on one sleeping
// guest, a runner that parsed the whole shim bundle kept 11.0 MB of anonymous memory against 8.5 MB
// for the runner's own: on a node of wasm pods that difference is per container. Each bundle comes
// with a V8 code cache made at build time (scripts/build.ts), so neither is compiled from scratch.
// From the TypeScript sources the modules are imported as they are.
import { getAsset, isSea } from 'node:sea';
import { constants, Script } from 'node:vm';

type RunnerPart = typeof import('../runtime/runner.ts');
type BootstrapPart = typeof import('./bootstrap/main.ts');
type ShimPart = typeof import('./shim-main.ts');
export type PartName = 'runner' | 'bootstrap' | 'shim';

export const partAsset = (name: PartName) => `${name}.cjs`;
export const partCacheAsset = (name: PartName) => `${name}.cache`;

// A bundle is CommonJS that only requires Node's built-ins, which the executable's own `require` gives.
// The build compiles it the same way to make its code cache.
export function partScript(name: PartName, source: string, cachedData?: Uint8Array): Script {
  return new Script(`(function (exports, require, module) {${source}\n})`, {
    filename: `/wasmts/${name}.cjs`,
    cachedData,
    // esbuild leaves a dynamic import() of a built-in as it is (`await import('node:sea')`).
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
}

function fromAsset(name: PartName): unknown {
  const script = partScript(name, getAsset(partAsset(name), 'utf8'), new Uint8Array(getAsset(partCacheAsset(name))));
  const module = { exports: {} };
  (script.runInThisContext() as (exports: object, req: NodeJS.Require, module: object) => void)(module.exports, require, module);
  return module.exports;
}

export const runnerPart = async (): Promise<RunnerPart> => (isSea() ? (fromAsset('runner') as RunnerPart) : import('../runtime/runner.ts'));
export const bootstrapPart = async (): Promise<BootstrapPart> => (isSea() ? (fromAsset('bootstrap') as BootstrapPart) : import('./bootstrap/main.ts'));
export const shimPart = async (): Promise<ShimPart> => (isSea() ? (fromAsset('shim') as ShimPart) : import('./shim-main.ts'));
