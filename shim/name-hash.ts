// A fixed-length name for a path or a lock (unix socket paths are short), from text that names it.
// Not a secret and not an attacker's choice, so no cryptographic hash: loading node:crypto cost
// `start` and `delete`, which containerd runs for every task, ~9 ms of CPU each (measured on a bare
// node: 50.6 ms against 41.1). Four 32-bit FNV-1a lanes with different offsets, over the UTF-8
// bytes, each mixed at the end: 128 bits.
const OFFSETS = [0x811c9dc5, 0x5bd1e995, 0x9e3779b9, 0x27d4eb2f];
const PRIME = 0x01000193;

function mix(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

export function nameHash(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return OFFSETS.map((offset) => {
    let hash = offset;
    for (const byte of bytes) hash = Math.imul(hash ^ byte, PRIME);
    return mix(hash).toString(16).padStart(8, '0');
  }).join('');
}
