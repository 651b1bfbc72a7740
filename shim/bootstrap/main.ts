// What containerd runs for each task and waits for: `-info`, `start` and `delete`, a bundle of their
// own in the executable (shim/parts.ts), so none of them loads the daemon's code.
import { parseFlags } from '../flags.ts';

declare const WASMTS_VERSION: string;

export async function runBootstrap(argv: string[]): Promise<void> {
  if (argv[0] === '-info' || argv[0] === '--info') {
    (await import('./info.ts')).printRuntimeInfo(typeof WASMTS_VERSION === 'string' ? WASMTS_VERSION : 'dev');
    return;
  }
  const flags = parseFlags(argv);
  if (flags.action === 'start') return (await import('./start.ts')).startCommand(flags);
  return (await import('./delete.ts')).deleteCommand(flags);
}
