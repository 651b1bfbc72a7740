// A private containerd for a file of ctr-driven tests: started, with the test images imported,
// before its first test and stopped after its last; container ids unique to this process and kept
// for the leftover checks.
import { join } from 'node:path';
import { before } from '../before.ts';
import { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { buildTestImages } from '../fixtures/build.ts';

interface Suite {
  before: (hook: () => Promise<void>) => void;
  after: (hook: () => Promise<void>) => void;
}

export function ctrSuite(test: Suite): { containerd: PrivateContainerd; ids: string[]; newId: (name: string) => string } {
  const containerd = new PrivateContainerd({ shimDir: join(import.meta.dirname, '../../dist') });
  const ids: string[] = [];
  let counter = 0;
  before(test, async () => {
    const images = await buildTestImages();
    await containerd.start();
    for (const archive of [images.wasm, images.busybox]) {
      const result = await containerd.ctr(['images', 'import', '--all-platforms', archive]);
      if (result.code !== 0) throw new Error(`import failed: ${result.stderr}`);
    }
  });
  test.after(async () => {
    await containerd.stop();
  });
  const newId = (name: string) => {
    const id = `${name}-${process.pid}-${counter++}`;
    ids.push(id);
    return id;
  };
  return { containerd, ids, newId };
}
