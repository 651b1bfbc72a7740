// Edits containerd's config.toml as text, never by re-serialising it: the operator's comments,
// order and formatting stay exactly as they were. Our part is one marked block, added once and
// removed exactly; on containerd 2.x one key of CRI's image plugin is edited in place (local-pull.ts).

import { enableLocalPull, restoreLocalPull } from './local-pull.ts';

export const HANDLER = 'wasmts';
export const RUNTIME_TYPE = 'io.containerd.wasmts.v1';
const BEGIN = '# BEGIN wasmts: added by `containerd-shim-wasmts-v1 install`; `uninstall` removes it';
const END = '# END wasmts';

export type ConfigVersion = 2 | 3 | 4;

export function configVersion(text: string): ConfigVersion {
  const match = /^\s*version\s*=\s*(\d+)\s*(#[^\r\n]*)?\r?$/m.exec(text);
  if (!match) {
    if (text.trim() === '') return 2;
    throw new Error('the containerd config has no `version = 2` or `version = 3` line (version 1 configs are not supported): run `containerd config migrate` first');
  }
  const version = Number(match[1]);
  if (version !== 2 && version !== 3 && version !== 4) throw new Error(`containerd config version ${version} is not supported: wasmts knows versions 2 (containerd 1.x), 3 (2.0-2.2) and 4 (2.3+)`);
  return version;
}

export function handlerTable(version: ConfigVersion): string {
  const plugin = version >= 3 ? 'io.containerd.cri.v1.runtime' : 'io.containerd.grpc.v1.cri';
  return `[plugins."${plugin}".containerd.runtimes.${HANDLER}]`;
}

// containerd 2.x unpacks pulled and imported images only for the platforms its transfer service
// lists (default: the host's), so a wasm image would be stored but never unpacked, and CRI would fail
// "parent snapshot ... does not exist". Listing wasm platforms drops the default: the host's own entry
// is listed again. A wasm entry needs an explicit differ, or the plugin fails to load.
export const WASM_PLATFORMS = ['wasip1/wasm', 'wasi/wasm'];
const TRANSFER_PLUGIN = 'io.containerd.transfer.v1.local';
const ARCHES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(arch: string = process.arch): string {
  return `linux/${ARCHES[arch] ?? arch}`;
}

// The snapshotter CRI unpacks into: `snapshotter` of the CRI images plugin, else overlayfs.
function criSnapshotter(text: string): string {
  let table = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line.startsWith('[')) table = line.replace(/["'\s[\]]/g, '');
    const match = /^snapshotter\s*=\s*["']([^"']+)["']/.exec(line);
    if (match && table === 'plugins.io.containerd.cri.v1.images') return match[1]!;
  }
  return 'overlayfs';
}

// The cgroup driver the wasmts handler passes to runc must be the one runc's own handler uses (the
// kubelet's): install copies runc's `SystemdCgroup = true` into the wasmts handler's options.
export function usesSystemd(text: string, version: ConfigVersion, handler = 'runc'): boolean {
  const wanted = `${handlerTable(version).replace(/["'\s[\]]/g, '').replace(new RegExp(`\\.${HANDLER}$`), `.${handler}`)}.options`;
  let table = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line.startsWith('[')) table = line.replace(/["'\s[\]]/g, '');
    if (table === wanted && /^SystemdCgroup\s*=\s*true$/.test(line)) return true;
  }
  return false;
}

function unpackEntry(platform: string, snapshotter: string, differ?: string): string {
  return `[[plugins."${TRANSFER_PLUGIN}".unpack_config]]\n  platform = "${platform}"\n  snapshotter = "${snapshotter}"\n${differ ? `  differ = "${differ}"\n` : ''}`;
}

function block(version: ConfigVersion, text: string, unpack: boolean, extra = ''): string {
  const table = handlerTable(version);
  const options = usesSystemd(text, version) ? `\n${table.slice(0, -1)}.options]\n  SystemdCgroup = true\n` : '';
  const handler = `${table}\n  runtime_type = "${RUNTIME_TYPE}"\n${options}${extra ? `\n${extra}` : ''}`;
  if (!unpack) return `${BEGIN}\n${handler}${END}\n`;
  const snapshotter = criSnapshotter(text);
  const entries = [unpackEntry(hostPlatform(), snapshotter), ...WASM_PLATFORMS.map((p) => unpackEntry(p, snapshotter, 'walking'))];
  return `${BEGIN}\n${handler}\n${entries.join('\n')}${END}\n`;
}

// Entries of the operator's own: ours would replace the list they rely on, or clash with an inline array.
export function hasOwnUnpackConfig(text: string): boolean {
  return /^\s*(\[\[[^\]]*unpack_config\s*\]\]|unpack_config\s*=)/m.test(removeHandler(text).text);
}

export const UNPACK_NOTE = `the config sets the transfer service's unpack_config itself: add entries for ${WASM_PLATFORMS.join(' and ')} with differ = "walking" beside yours, or wasm images will not unpack on containerd 2.x`;

export type AddResult = { text: string; changed: boolean; note?: string };

export function addHandler(text: string): AddResult {
  const version = configVersion(text);
  const table = handlerTable(version);
  if (!text.includes(BEGIN) && definesHandler(text)) {
    return { text, changed: false, note: `the config already defines the ${HANDLER} runtime by hand (${table}); left as it is` };
  }
  // From a clean slate, so that running install again (or a newer install) rewrites its own part.
  let base = removeHandler(text).text;
  let ours = block(version, base, false);
  let note: string | undefined;
  if (version >= 3) {
    const own = hasOwnUnpackConfig(base);
    // A config with an unpack_config of the operator's own gets no entries of ours, and a note.
    if (own) note = UNPACK_NOTE;
    const local = enableLocalPull(base);
    base = local.text;
    ours = block(version, base, !own, local.table);
  }
  const updated = appendBlock(base, ours);
  return { text: updated, changed: updated !== text, ...(note ? { note } : {}) };
}

function appendBlock(text: string, ours: string): string {
  const base = text.trim() === '' ? 'version = 2\n' : text;
  const separator = base.endsWith('\n') ? '\n' : '\n\n';
  return `${base}${separator}${ours}`;
}

export function removeHandler(text: string): { text: string; changed: boolean } {
  const restored = restoreLocalPull(text);
  const start = restored.indexOf(BEGIN);
  if (start < 0) return { text: restored, changed: restored !== text };
  const endAt = restored.indexOf(END, start);
  if (endAt < 0) throw new Error(`the config has the wasmts begin marker but not "${END}": remove the wasmts block by hand`);
  let before = restored.slice(0, start);
  const after = restored.slice(endAt + END.length).replace(/^\n/, '');
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
