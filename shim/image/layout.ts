// The blobs of an OCI image layout archive (what oci/image.ts writes), by digest, and the manifest
// its index names: what a push sends.
import { extract } from 'tar-stream';

export interface Layout {
  // The index.json entry: the top manifest (or index) and its media type.
  top: { mediaType: string; digest: string; size: number };
  blobs: Map<string, Uint8Array>;
}

export async function readLayout(archive: Uint8Array): Promise<Layout> {
  const files = new Map<string, Uint8Array>();
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => tar.on('finish', resolve).on('error', reject));
  tar.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  tar.end(Buffer.from(archive));
  await done;
  const index = JSON.parse(new TextDecoder().decode(files.get('index.json'))) as { manifests: Layout['top'][] };
  const blobs = new Map<string, Uint8Array>();
  for (const [name, bytes] of files) if (name.startsWith('blobs/sha256/')) blobs.set(`sha256:${name.slice('blobs/sha256/'.length)}`, bytes);
  return { top: index.manifests[0]!, blobs };
}
