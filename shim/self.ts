// How to start this same program again: the single executable alone, or node with the entry script
// when run from the TypeScript sources.
import { isSea } from 'node:sea';

export function selfCommand(): { file: string; args: string[] } {
  if (isSea()) return { file: process.execPath, args: [] };
  return { file: process.execPath, args: [...process.execArgv, process.argv[1]!] };
}
