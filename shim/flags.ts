// containerd invokes shims with Go's flag syntax: `-name value`, `-name=value`, `--name`, boolean
// flags bare; the first word that is not a flag is the action.

export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  socket: string;
  debug: boolean;
  action: string;
}

const STRING_FLAGS: Record<string, keyof ShimFlags> = {
  namespace: 'namespace',
  address: 'address',
  'publish-binary': 'publishBinary',
  id: 'id',
  bundle: 'bundle',
  socket: 'socket',
};
const BOOLEAN_FLAGS = new Set(['debug', 'v', 'version']);

export function parseFlags(argv: string[]): ShimFlags {
  const flags: ShimFlags = { namespace: '', address: '', publishBinary: '', id: '', bundle: '', socket: '', debug: false, action: '' };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-') || word === '-' || word === '--') {
      flags.action = word === '--' ? (argv[i + 1] ?? '') : word;
      break;
    }
    const body = word.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (BOOLEAN_FLAGS.has(name)) {
      if (name === 'debug') flags.debug = eq < 0 || body.slice(eq + 1) === 'true';
      continue;
    }
    const key = STRING_FLAGS[name];
    if (!key) throw new Error(`unknown flag -${name}: see containerd-shim-wasmts-v1 --help`);
    const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`flag -${name} needs a value`);
    (flags as unknown as Record<string, string>)[key] = value;
  }
  return flags;
}
