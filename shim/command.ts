// The shim's actions as containerd invokes them.
import { parseFlags } from './flags.ts';

export async function runShimCommand(argv: string[], version: string): Promise<void> {
  const flags = parseFlags(argv);
  switch (flags.action) {
    case 'start':
      return (await import('./start.ts')).startCommand(flags);
    case 'delete':
      return (await import('./delete.ts')).deleteCommand(flags);
    case 'serve':
      return (await import('./daemon.ts')).serve(flags, version);
    default:
      throw new Error(`unknown action ${JSON.stringify(flags.action)}: containerd runs this binary with start or delete; see --version`);
  }
}
