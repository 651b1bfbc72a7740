import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeNamedFile } from './write-file.ts';

test('a full disk (here /dev/full) names the file and says what to do', async () => {
  const error = await writeNamedFile('/dev/full', 'x').catch((e: Error) => e);
  assert.instance(error, Error);
  assert.match((error as Error).message, /^cannot write \/dev\/full: ENOSPC: no space left on device.*: free space on the filesystem that holds it$/);
  assert.is(((error as Error).cause as NodeJS.ErrnoException).code, 'ENOSPC');
});

test.run();
