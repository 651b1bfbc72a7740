// Instantiates a transpiled component from its cache directory: jco's bindings run as a function (no
// module loader, so a single executable can load them from a read-only mount), with our host as
// their imports. The bindings and the core modules are compiled once; each call of the returned
// function makes a fresh instance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { BINDINGS_FILE } from './cache-format.ts';

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

export function componentLoader(dir: string, host: Record<string, unknown>, exit: (code: number) => never): () => Record<string, unknown> {
  const file = join(dir, BINDINGS_FILE);
  const instantiate = runInThisContext(`(function () {${readFileSync(file, 'utf8')}\n})`, { filename: file })() as Instantiate;
  const modules = new Map<string, WebAssembly.Module>();
  const coreModule = (name: string) => {
    let module = modules.get(name);
    if (!module) modules.set(name, (module = new WebAssembly.Module(readFileSync(join(dir, name)))));
    return module;
  };
  const instantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => {
    // The preview1 command adapter turns proc_exit(n) into wasi:cli/exit's ok or err, 0 or 1. The
    // code the program gave is kept by answering the adapter's proc_exit import ourselves.
    const preview1 = imports?.wasi_snapshot_preview1 as Record<string, unknown> | undefined;
    if (preview1 && typeof preview1.proc_exit === 'function') preview1.proc_exit = (code: number) => exit(code);
    return new WebAssembly.Instance(module, imports);
  };
  return () => instantiate(coreModule, host, instantiateCore);
}

export function loadComponent(dir: string, host: Record<string, unknown>, exit: (code: number) => never): Record<string, unknown> {
  return componentLoader(dir, host, exit)();
}
