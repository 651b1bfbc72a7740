// Edits containerd's config.toml as text, never by re-serialising it: the operator's comments,
// order and formatting stay exactly as they were. Our part is one marked block, added once and
// removed exactly.

export const HANDLER = 'wasmts';
export const RUNTIME_TYPE = 'io.containerd.wasmts.v1';
const BEGIN = '# BEGIN wasmts: added by `containerd-shim-wasmts-v1 install`; `uninstall` removes it';
const END = '# END wasmts';

export type ConfigVersion = 2 | 3;

export function configVersion(text: string): ConfigVersion {
  const match = /^\s*version\s*=\s*(\d+)\s*(#[^\r\n]*)?\r?$/m.exec(text);
  if (!match) {
    if (text.trim() === '') return 2;
    throw new Error('the containerd config has no `version = 2` or `version = 3` line (version 1 configs are not supported): run `containerd config migrate` first');
  }
  const version = Number(match[1]);
  if (version !== 2 && version !== 3) throw new Error(`containerd config version ${version} is not supported: wasmts knows versions 2 (containerd 1.x) and 3 (containerd 2.x)`);
  return version;
}

export function handlerTable(version: ConfigVersion): string {
  const plugin = version === 3 ? 'io.containerd.cri.v1.runtime' : 'io.containerd.grpc.v1.cri';
  return `[plugins."${plugin}".containerd.runtimes.${HANDLER}]`;
}

function block(version: ConfigVersion): string {
  return `${BEGIN}\n${handlerTable(version)}\n  runtime_type = "${RUNTIME_TYPE}"\n${END}\n`;
}

export type AddResult = { text: string; changed: boolean; note?: string };

export function addHandler(text: string): AddResult {
  const version = configVersion(text);
  const table = handlerTable(version);
  if (text.includes(BEGIN)) {
    const current = removeHandler(text);
    const updated = appendBlock(current.text, version);
    return { text: updated, changed: updated !== text };
  }
  if (definesHandler(text)) {
    return { text, changed: false, note: `the config already defines the ${HANDLER} runtime by hand (${table}); left as it is` };
  }
  return { text: appendBlock(text, version), changed: true };
}

function appendBlock(text: string, version: ConfigVersion): string {
  const base = text.trim() === '' ? 'version = 2\n' : text;
  const separator = base.endsWith('\n') ? '\n' : '\n\n';
  return `${base}${separator}${block(version)}`;
}

export function removeHandler(text: string): { text: string; changed: boolean } {
  const start = text.indexOf(BEGIN);
  if (start < 0) return { text, changed: false };
  const endAt = text.indexOf(END, start);
  if (endAt < 0) throw new Error(`the config has the wasmts begin marker but not "${END}": remove the wasmts block by hand`);
  let before = text.slice(0, start);
  const after = text.slice(endAt + END.length).replace(/^\n/, '');
  // The blank line install put before the block goes with it.
  if (before.endsWith('\n\n')) before = before.slice(0, -1);
  return { text: before + after, changed: true };
}

// A table header or dotted key naming `runtimes.wasmts`, however it is spelt: quoted or not, with
// spaces or a trailing comment. Appending a second definition would make containerd refuse the file.
function definesHandler(text: string): boolean {
  let table = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').replace(/["'\s]/g, '');
    if (line.startsWith('[')) table = line.replace(/^\[+|\]+$/g, '');
    const key = line.startsWith('[') ? table : `${table}.${line.split('=')[0]}`;
    if (/(^|\.)runtimes\.wasmts(\.|$)/.test(key)) return true;
  }
  return false;
}

export function hasHandler(text: string): boolean {
  try {
    configVersion(text);
  } catch {
    return false;
  }
  return definesHandler(text);
}
