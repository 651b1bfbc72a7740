// The single executable's entry: the runner inside a wasm container, or the shim containerd starts.
// The two are separate bundles (shim/parts.ts), so a runner, one per container, never parses or
// holds the shim's code.
import { runnerPart, shimPart } from './parts.ts';

const argv = process.argv.slice(2);

async function main(): Promise<void> {
  if (argv[0] === 'run') return (await runnerPart()).runGuest(argv[1], argv[2]);
  return (await shimPart()).runShimMain(argv);
}

main().catch((error: Error) => {
  process.stderr.write(`containerd-shim-wasmts-v1: ${error.message}\n`);
  process.exit(1);
});
