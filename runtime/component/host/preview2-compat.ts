// Our host in the shape of @bytecodealliance/preview2-shim's package exports (one namespace per
// interface, camel-cased), for jco's own transpiler: the single executable runs js-component-bindgen
// on this host instead of preview2-shim, whose I/O worker is a separate file a single executable
// does not have. The transpiler gets no args, env or directories.
import { createHost } from './index.ts';

const host = createHost({ args: [], env: [], cwd: '/', preopens: [], exit: (code) => process.exit(code) });
const part = (name: string) => host[name] as Record<string, never>;

export const environment = part('wasi:cli/environment');
export const exit = part('wasi:cli/exit');
export const stdin = part('wasi:cli/stdin');
export const stdout = part('wasi:cli/stdout');
export const stderr = part('wasi:cli/stderr');
export const terminalInput = part('wasi:cli/terminal-input');
export const terminalOutput = part('wasi:cli/terminal-output');
export const terminalStdin = part('wasi:cli/terminal-stdin');
export const terminalStdout = part('wasi:cli/terminal-stdout');
export const terminalStderr = part('wasi:cli/terminal-stderr');
export const preopens = part('wasi:filesystem/preopens');
export const types = part('wasi:filesystem/types');
export const error = part('wasi:io/error');
export const poll = part('wasi:io/poll');
export const streams = part('wasi:io/streams');
export const random = part('wasi:random/random');
export const insecure = part('wasi:random/insecure');
export const insecureSeed = part('wasi:random/insecure-seed');
export const monotonicClock = part('wasi:clocks/monotonic-clock');
export const wallClock = part('wasi:clocks/wall-clock');
