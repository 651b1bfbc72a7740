// What the shim hands the runner about the guest: the original process of the OCI spec and the engine
// chosen at Create, in a file mounted read-only into the container. A file, not the environment: a
// pod's env can exceed what one environment string may hold (128 KiB), and the runner's own
// environment stays empty.

export const GUEST_FILE = '/.wasmts/guest.json';

// The descriptor the runner writes its exit status to: the shim holds the other end (runc passes it
// on as the first of --preserve-fds). The shim does not wait for the runner as its parent would, so
// the runner says how it ended; a runner that says nothing was SIGKILLed.
export const STATUS_FD = 3;

// preview1: a core module on node:wasi. component-command: a component exporting wasi:cli/run;
// component-http: one exporting wasi:http/incoming-handler. A component's transpiled form is the
// directory `module`.
export type Engine = 'preview1' | 'component-command' | 'component-http';
export const ENGINES: readonly Engine[] = ['preview1', 'component-command', 'component-http'];

export interface GuestConfig {
  engine: Engine;
  module: string;
  args: string[];
  env: string[];
  cwd: string;
}

export function parseGuestConfig(text: string, source: string): GuestConfig {
  let value: Partial<GuestConfig>;
  try {
    value = JSON.parse(text) as Partial<GuestConfig>;
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value.module !== 'string' || !Array.isArray(value.args) || !Array.isArray(value.env) || typeof value.cwd !== 'string' || !ENGINES.includes(value.engine as Engine)) {
    throw new Error(`${source} does not hold a guest config (engine, module, args, env, cwd)`);
  }
  return value as GuestConfig;
}
