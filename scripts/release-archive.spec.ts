import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY_NAME, checksumLine, releaseArchive, releaseName } from './release-archive.ts';

test('the archive holds the binary, executable, under the name containerd looks for; sha256sum -c accepts its checksum', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-'));
  try {
    const binary = new TextEncoder().encode('#!/bin/sh\necho shim\n');
    const name = releaseName('x64');
    assert.is(name, 'containerd-shim-wasmts-v1-linux-amd64.tar.gz');
    const archive = await releaseArchive(binary);
    writeFileSync(join(dir, name), archive);
    writeFileSync(join(dir, `${name}.sha256`), checksumLine(archive, name));
    assert.is(execFileSync('sha256sum', ['-c', `${name}.sha256`], { cwd: dir, encoding: 'utf8' }), `${name}: OK\n`);
    assert.is(execFileSync('tar', ['-tzf', name], { cwd: dir, encoding: 'utf8' }), `${BINARY_NAME}\n`);
    execFileSync('tar', ['-xzf', name], { cwd: dir });
    assert.equal(readFileSync(join(dir, BINARY_NAME)), Buffer.from(binary));
    assert.is(statSync(join(dir, BINARY_NAME)).mode & 0o777, 0o755);
    assert.equal(await releaseArchive(binary), archive, 'the same binary gives the same archive');
    assert.throws(() => releaseName('ia32'), /no release for ia32/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test.run();
