// The single executable's entry: the runner inside a wasm container, what containerd runs per task
// (-info, start, delete), or the rest of the shim (the daemon, the operators' commands). The three
// are separate bundles (shim/parts.ts): a runner, one per container, never parses or holds the
// shim's code, and the short-lived processes load only their own.
import { parseFlags } from './flags.ts';
import { bootstrapPart, runnerPart, shimPart } from './parts.ts';

const argv = process.argv.slice(2);

// containerd's `start` and `delete` come after its flags; anything else (an operator's command,
// -help, a bad flag) is the shim part's to answer.
function containerdAction(words: string[]): string | undefined {
  if (!words[0]?.startsWith('-')) return undefined;
  try {
    const { action } = parseFlags(words);
    return action === 'start' || action === 'delete' ? action : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  if (argv[0] === 'run') return (await runnerPart()).runGuest(argv[1], argv[2]);
  if (argv[0] === '-info' || argv[0] === '--info') return (await bootstrapPart()).runBootstrap(argv);
  if (containerdAction(argv) !== undefined) return (await bootstrapPart()).runBootstrap(argv);
  return (await shimPart()).runShimMain(argv);
}

main().catch((error: Error) => {
  process.stderr.write(`containerd-shim-wasmts-v1: ${error.message}\n`);
  process.exit(1);
});
