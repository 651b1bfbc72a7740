// wasi:cli: args, env and cwd exactly as the OCI spec gave them; containerd's stdio on fds 0-2; no
// terminal (a wasm container never gets one); exit with the exact code.
import { FdSink, FdSource, InputStream, OutputStream } from './io.ts';

export interface CliConfig {
  args: string[];
  env: [string, string][];
  cwd: string;
  // Ends the guest: the runner flushes nothing (writes are synchronous) and exits with the code.
  exit(code: number): never;
}

class TerminalInput {}
class TerminalOutput {}

export function cliInterfaces(config: CliConfig) {
  const stdin = new InputStream(new FdSource(0));
  const stdout = new OutputStream(new FdSink(1));
  const stderr = new OutputStream(new FdSink(2));
  return {
    'wasi:cli/environment': {
      getArguments: () => config.args,
      getEnvironment: () => config.env,
      initialCwd: () => config.cwd,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: 'ok' | 'err' }) => config.exit(status.tag === 'ok' ? 0 : 1),
      exitWithCode: (code: number) => config.exit(code),
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  };
}
