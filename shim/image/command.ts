// `image build FILE --tag REF [--artifact] [--output FILE.tar | --push] [--plain-http] [--username U]`:
// a module or component as an OCI image: a single-layer wasip1/wasm image whose entrypoint is the
// file (what `ctr images import --platform wasip1/wasm` and CRI pulls run), or with --artifact a
// CNCF wasm artifact (config application/vnd.wasm.config.v0+json, the file as an application/wasm
// layer). Written as an importable archive, or pushed to a registry.
// `image example NAME --output FILE`: a small module or component to try that with (example.ts).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { kindOfHeader } from '../../oci/classify.ts';
import { buildArtifactArchive, buildImageArchive, wasmImage } from '../../oci/image.ts';
import { readLayout } from './layout.ts';
import { parseReference, pushImage } from './registry.ts';

export interface BuildOptions {
  file: string;
  tag: string;
  artifact: boolean;
  output?: string;
  push: boolean;
  plainHttp: boolean;
  username?: string;
}

const USAGE = 'image build FILE --tag REF [--artifact] [--output FILE.tar | --push] [--plain-http] [--username USER] (see containerd-shim-wasmts-v1 help image)';

const EXAMPLE_USAGE = 'image example NAME --output FILE.wasm';

export function parseImageArgs(args: string[]): BuildOptions {
  if (args[0] !== 'build') throw new Error(`image ${args[0] ?? ''} is not a command: ${USAGE}, or ${EXAMPLE_USAGE}`);
  let file: string | undefined;
  const options: Partial<BuildOptions> = { artifact: false, push: false, plainHttp: false };
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value: ${USAGE}`);
      return next;
    };
    if (arg === '--tag') options.tag = value();
    else if (arg === '--output') options.output = value();
    else if (arg === '--username') options.username = value();
    else if (arg === '--artifact') options.artifact = true;
    else if (arg === '--push') options.push = true;
    else if (arg === '--plain-http') options.plainHttp = true;
    else if (!arg.startsWith('-') && file === undefined) file = arg;
    else throw new Error(`unknown option ${arg}: ${USAGE}`);
  }
  if (!file || !options.tag) throw new Error(`a file and --tag are needed: ${USAGE}`);
  if (!options.output === !options.push) throw new Error(`give one of --output FILE.tar and --push: ${USAGE}`);
  return { ...options, file } as BuildOptions;
}

async function writeExample(args: string[], log: (line: string) => void): Promise<void> {
  const { EXAMPLES } = await import('./example.ts');
  const [, name, flag, output] = args;
  const example = name === undefined ? undefined : EXAMPLES[name];
  if (!example || flag !== '--output' || !output || args.length !== 4) {
    throw new Error(`${EXAMPLE_USAGE}; the examples: ${Object.entries(EXAMPLES).map(([key, { about }]) => `${key} (${about})`).join(', ')}`);
  }
  await writeFile(output, example.module());
  log(`wrote ${output}: build an image of it with containerd-shim-wasmts-v1 image build ${output} --tag REF --push`);
}

export async function imageCommand(args: string[], log: (line: string) => void): Promise<void> {
  if (args[0] === 'example') return writeExample(args, log);
  const options = parseImageArgs(args);
  const reference = options.push ? parseReference(options.tag) : undefined;
  const bytes = await readFile(options.file);
  const kind = kindOfHeader(bytes.subarray(0, 8));
  if (kind !== 'wasm-module' && kind !== 'wasm-component') throw new Error(`${options.file} is not a WebAssembly module or component: build the image from a .wasm file`);
  const name = reference ? `${reference.registry}/${reference.repository}:${reference.tag}` : options.tag;
  const archive = options.artifact
    ? await buildArtifactArchive({ name, wasm: bytes, os: kind === 'wasm-component' ? 'wasip2' : 'wasip1' })
    : await buildImageArchive(wasmImage(name, bytes, `/${basename(options.file)}`));
  if (options.output) {
    await writeFile(`${options.output}.tmp`, archive);
    await rename(`${options.output}.tmp`, options.output);
    log(`wrote ${options.output}: import it with ctr -n k8s.io images import --platform wasip1/wasm ${options.output}`);
    return;
  }
  const pushed = await pushImage(reference!, await readLayout(archive), { plainHttp: options.plainHttp, username: options.username, password: process.env.WASMTS_REGISTRY_PASSWORD });
  log(`pushed ${pushed}`);
}
