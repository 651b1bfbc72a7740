// The part of the OCI runtime spec (config.json) the shim reads or rewrites; everything else is kept
// as it was through the index signatures.
import { readFile, writeFile, rename } from 'node:fs/promises';

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciProcess {
  terminal?: boolean;
  args?: string[];
  env?: string[];
  cwd: string;
  [key: string]: unknown;
}

export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  mounts?: OciMount[];
  annotations?: Record<string, string>;
  linux?: { cgroupsPath?: string; namespaces?: { type: string; path?: string }[]; [key: string]: unknown };
  [key: string]: unknown;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function readSpec(path: string): Promise<OciSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the OCI spec ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as OciSpec;
  } catch (error) {
    throw new Error(`the OCI spec ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export async function writeSpec(path: string, spec: OciSpec): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(spec));
  await rename(`${path}.tmp`, path);
}

export function envValue(env: string[] | undefined, name: string): string | undefined {
  const prefix = `${name}=`;
  for (let i = (env ?? []).length - 1; i >= 0; i--) {
    const entry = env![i]!;
    if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  }
  return undefined;
}
