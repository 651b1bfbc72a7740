// A component exporting wasi:cli/run, on the synchronous host. Its bindings and core modules come
// from the transpile cache, mounted read-only at `config.module`.
import type { GuestConfig } from '../guest.ts';
import { loadComponent } from '../component/load.ts';
import { createHost } from '../component/host/index.ts';
import { httpInterfaces } from '../component/host/http.ts';
import { workerFetcher } from '../component/host/fetch-worker.ts';
import { RUN_EXPORT } from '../component/interfaces.ts';
import { envObject, fail, isTrap, trapExit } from '../runner.ts';

const exit = (code: number): never => process.exit(code);

export function guestEnvironment(entries: string[]): [string, string][] {
  return Object.entries(envObject(entries));
}

// `/` is the container's root. The cwd is a preopen too: wasi-libc's preview1 build (what the
// command adapter wraps) resolves a relative path against a preopen named `.`, never initial-cwd.
export function preopensFor(cwd: string): [string, string][] {
  return cwd === '/' ? [['/', '/']] : [['/', '/'], [cwd, '.']];
}

export function runCommand(config: GuestConfig): never {
  let run: () => void;
  try {
    const host = { ...createHost({ args: config.args, env: guestEnvironment(config.env), cwd: config.cwd, exit, preopens: preopensFor(config.cwd) }), ...httpInterfaces(workerFetcher()) };
    const exports = loadComponent(config.module, host, exit);
    const key = Object.keys(exports).find((name) => name.startsWith(`${RUN_EXPORT}@`));
    const runner = key ? (exports[key] as { run?: () => void }).run : undefined;
    if (!runner) fail(`${config.module} exports no ${RUN_EXPORT}: it is not a command`);
    run = runner;
  } catch (error) {
    if (isTrap(error)) trapExit(error);
    fail(`cannot start the component: ${(error as Error).message}`);
  }
  try {
    run();
  } catch (error) {
    if (isTrap(error)) trapExit(error);
    // jco throws the err of `run`'s result as a ComponentError with a payload: the command failed.
    if (error !== null && typeof error === 'object' && 'payload' in error) process.exit(1);
    fail(`the component failed: ${(error as Error).stack ?? String(error)}`);
  }
  process.exit(0);
}
