// The WASI 0.2 interfaces wasmts provides to components (commands and servers alike), by the name
// without version. The shim checks a component's imports against this at Create; the runner's host
// provides exactly these. Outgoing HTTP is a command's too: a CLI calling an API, a JS command
// (componentize-js imports it whenever fetch is compiled in).
export const PROVIDED_INTERFACES = [
  'wasi:cli/environment', 'wasi:cli/exit', 'wasi:cli/stdin', 'wasi:cli/stdout', 'wasi:cli/stderr',
  'wasi:cli/terminal-input', 'wasi:cli/terminal-output', 'wasi:cli/terminal-stdin', 'wasi:cli/terminal-stdout', 'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock', 'wasi:clocks/wall-clock',
  'wasi:filesystem/preopens', 'wasi:filesystem/types',
  'wasi:io/error', 'wasi:io/poll', 'wasi:io/streams',
  'wasi:random/random', 'wasi:random/insecure', 'wasi:random/insecure-seed',
  'wasi:http/types', 'wasi:http/outgoing-handler',
];

export const RUN_EXPORT = 'wasi:cli/run';
export const HTTP_HANDLER_EXPORT = 'wasi:http/incoming-handler';

// `wasi:cli/environment@0.2.3` is `wasi:cli/environment`; only 0.2.x is WASI 0.2.
export function unversioned(name: string): { name: string; version: string | undefined } {
  const at = name.indexOf('@');
  return at < 0 ? { name, version: undefined } : { name: name.slice(0, at), version: name.slice(at + 1) };
}
