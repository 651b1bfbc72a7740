// How to start this same program again: the single executable alone, or node with the entry script
// when run from the TypeScript sources. Node's own options go on the command line
// (`--node-options`): the executable ignores NODE_OPTIONS (execArgvExtension "cli" in the build),
// so a variable in containerd's environment never reaches the shim's Node.
import { isSea } from 'node:sea';
import { nodeOptionsArgument } from '../oci/runner-heap.ts';

export function selfCommand(nodeOptions: string[] = []): { file: string; args: string[] } {
  if (isSea()) return { file: process.execPath, args: nodeOptionsArgument(nodeOptions) };
  return { file: process.execPath, args: [...process.execArgv, ...nodeOptions, process.argv[1]!] };
}
