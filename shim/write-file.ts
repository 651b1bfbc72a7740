// Writes the shim's own files (bundle files, the spec, cached layers) so that a failure names the file
// and what to do: Node's own ENOSPC error says only "no space left on device, write".
import { writeFile } from 'node:fs/promises';

export function fileError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const advice = code === 'ENOSPC' || code === 'EDQUOT' ? ': free space on the filesystem that holds it' : '';
  return new Error(`cannot write ${path}: ${(error as Error).message}${advice}`, { cause: error });
}

export async function writeNamedFile(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data).catch((error: unknown) => {
    throw fileError(path, error);
  });
}
