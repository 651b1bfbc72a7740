// `make release`: dist/containerd-shim-wasmts-v1-linux-<arch>.tar.gz and its .sha256, from the built
// binary. The archive is reproducible: fixed mtime, owner and mode.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY_NAME, checksumLine, releaseArchive, releaseName } from './release-archive.ts';

const dist = join(import.meta.dirname, '../dist');
const name = releaseName();
const archive = await releaseArchive(readFileSync(join(dist, BINARY_NAME)));
const write = (file: string, data: Uint8Array | string) => {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
};
write(join(dist, name), archive);
write(join(dist, `${name}.sha256`), checksumLine(archive, name));
console.log(`${join(dist, name)} (${(archive.length / 2 ** 20).toFixed(1)} MiB) and ${name}.sha256`);
