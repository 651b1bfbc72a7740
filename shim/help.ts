// What `--help` and `help COMMAND` print: the operator's commands and their flags, a line each.
// Loaded only for help: `start` and `delete` never read it.
const NAME = 'containerd-shim-wasmts-v1';

const COMMON = [
  ['--config FILE', "containerd's config (default /etc/containerd/config.toml)"],
  ['--bin-dir DIR', 'where the shim is installed, on containerd\'s PATH (default /usr/local/bin)'],
];

export const COMMANDS: Record<string, { summary: string; flags: string[][] }> = {
  install: {
    summary: 'copy this binary to the bin dir and add the wasmts runtime handler to containerd\'s config',
    flags: [...COMMON, ['--restart', 'restart containerd afterwards (systemctl), so that it reads the handler']],
  },
  uninstall: { summary: 'take away exactly what install added, and the binary', flags: [...COMMON, ['--restart', 'restart containerd afterwards (systemctl)'], ['--force', 'uninstall even while wasmts containers exist']] },
  doctor: { summary: 'check containerd, runc, script (for terminals), cgroups, the handler, image settings and the binary; say what to fix', flags: COMMON },
  image: {
    summary: 'image build FILE --tag REF: a .wasm module or component as an OCI image, written or pushed; image example hello|fail|sleep|http --output FILE: a module or component to try it with',
    flags: [
      ['--tag REF', 'the image name; HOST[:PORT]/REPOSITORY[:TAG] to push'],
      ['--artifact', 'a CNCF wasm OCI artifact (application/wasm layer) instead of a wasip1/wasm image'],
      ['--output FILE.tar', 'write an archive that ctr images import reads'],
      ['--push', 'push to the registry REF names (HTTPS; basic or token auth)'],
      ['--plain-http', 'talk plain HTTP to the registry (a local one only)'],
      ['--username USER', 'for a registry that asks; the password comes from WASMTS_REGISTRY_PASSWORD'],
    ],
  },
  version: { summary: 'print the shim\'s version and its Node', flags: [] },
};

const rows = (pairs: string[][]) => {
  const width = Math.max(...pairs.map(([left]) => left!.length));
  return pairs.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`).join('\n');
};

export function helpText(command?: string): string {
  if (command !== undefined) {
    const entry = COMMANDS[command];
    if (!entry) throw new Error(`no command ${JSON.stringify(command)}: the commands are ${Object.keys(COMMANDS).join(', ')} (${NAME} --help)`);
    return `${NAME} ${command}${entry.flags.length ? ' [flags]' : ''}\n  ${entry.summary}\n${entry.flags.length ? `\n${rows(entry.flags)}\n` : ''}`;
  }
  return [
    `${NAME}: a containerd runtime shim (v2) that runs WebAssembly modules and components as containers.`,
    'containerd starts it (start, delete); operators run:',
    '',
    rows(Object.entries(COMMANDS).map(([name, entry]) => [name, entry.summary])),
    '',
    `${NAME} help COMMAND shows a command's flags.`,
    '',
  ].join('\n');
}
