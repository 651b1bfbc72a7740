// containerd 2.x's CRI pulls through the transfer service, which unpacks only the host's platform
// (it asks for linux/<arch> whatever unpack_config lists), so a wasip1/wasm image pulled by a pod is
// stored and never unpacked. CRI's local puller unpacks any platform: install turns it on with
// `use_local_image_pull = true`, a key the operator's file may already hold, so the line is edited
// where it stands and marked, and uninstall puts back exactly what was there.
const CHANGED = '# wasmts: uninstall restores: ';
const ADDED = '# wasmts: added; uninstall removes it';
const IMAGES_TABLE = 'plugins.io.containerd.cri.v1.images';

function tableOf(line: string): string | undefined {
  const bare = line.replace(/#.*$/, '').trim();
  return bare.startsWith('[') ? bare.replace(/["'\s[\]]/g, '') : undefined;
}

// The text with the local puller on, and a table for install's own block when the file has none.
export function enableLocalPull(text: string): { text: string; table: string } {
  const lines = text.split('\n');
  let table = '';
  let header = -1;
  for (let i = 0; i < lines.length; i++) {
    const name = tableOf(lines[i]!);
    if (name !== undefined) {
      table = name;
      if (name === IMAGES_TABLE) header = i;
      continue;
    }
    const match = /^(\s*)use_local_image_pull\s*=\s*(true|false)\s*(#.*)?\r?$/.exec(lines[i]!);
    if (match && table === IMAGES_TABLE) {
      if (match[2] === 'false') lines[i] = `${match[1]}use_local_image_pull = true  ${CHANGED}${lines[i]!.trimStart()}`;
      return { text: lines.join('\n'), table: '' };
    }
  }
  if (header >= 0) {
    lines.splice(header + 1, 0, `  use_local_image_pull = true  ${ADDED}`);
    return { text: lines.join('\n'), table: '' };
  }
  return { text, table: '[plugins."io.containerd.cri.v1.images"]\n  use_local_image_pull = true\n' };
}

export function restoreLocalPull(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.endsWith(ADDED))
    .map((line) => (line.includes(CHANGED) ? line.replace(/use_local_image_pull = true\s+# wasmts: uninstall restores: /, '') : line))
    .join('\n');
}
