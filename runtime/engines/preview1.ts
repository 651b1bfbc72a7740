// A WASI preview1 core module on node:wasi, with `/` preopened (the container's root).
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import type { GuestConfig } from '../guest.ts';
import { envObject, fail, isTrap, trapExit } from '../runner.ts';

export function runPreview1(config: GuestConfig): never {
  let instance: WebAssembly.Instance;
  let wasi: WASI;
  try {
    wasi = new WASI({ version: 'preview1', args: config.args, env: envObject(config.env), preopens: { '/': '/' }, returnOnExit: true });
    const module = new WebAssembly.Module(readFileSync(config.module));
    instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
  } catch (error) {
    fail(`cannot start ${config.module}: ${(error as Error).message}`);
  }
  let code: number;
  try {
    code = wasi.start(instance);
  } catch (error) {
    if (!isTrap(error)) fail(`${config.module} failed: ${(error as Error).message}`);
    trapExit(error);
  }
  process.exit(code);
}
