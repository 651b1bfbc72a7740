// install, uninstall and doctor against a copy of containerd's real default config; containerd must
// load what install writes (CRI sees the handler) and what uninstall leaves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdVersion, pathFor } from '../../scripts/containerd-versions.ts';
import { defaultConfig } from './cri-node.ts';
import { PrivateContainerd } from '../../scripts/private-containerd.ts';

const binary = join(import.meta.dirname, '../../dist/containerd-shim-wasmts-v1');
const work = mkdtempSync('/tmp/wasmts-install-');
const config = join(work, 'config.toml');
const binDir = join(work, 'bin');
const version = containerdVersion();
const containerdBinary = join(version.binDir, 'containerd');
const original = defaultConfig(version).replace(/^version = (\d)$/m, '# the operator\'s comment stays\nversion = $1');
mkdirSync(binDir);
test.after(() => rmSync(work, { recursive: true, force: true }));

// doctor reads containerd's version from the containerd on its PATH.
const shim = (...args: string[]) => spawnSync(binary, args, { encoding: 'utf8', env: { ...process.env, PATH: pathFor(version) } });
// containerd's own reading of a config: `config dump` fails on a file it cannot load.
const dump = (path: string) => execFileSync(containerdBinary, ['--config', path, 'config', 'dump'], { encoding: 'utf8' });

test('install copies the binary, adds the handler containerd then loads, and prints the RuntimeClass', () => {
  writeFileSync(config, original);
  const result = shim('install', '--config', config, '--bin-dir', binDir);
  assert.is(result.status, 0, result.stderr);
  assert.ok(statSync(join(binDir, 'containerd-shim-wasmts-v1')).mode & 0o100);
  assert.match(result.stdout, 'kind: RuntimeClass');
  assert.match(result.stdout, 'handler: wasmts');
  const text = readFileSync(config, 'utf8');
  // On 2.x the one line install edits in place is marked with what it was.
  assert.ok(text.replace(/use_local_image_pull = true  # wasmts: uninstall restores: /, '').startsWith(original), 'everything before stays byte for byte, comments included');
  if (version.major >= 2) assert.match(dump(config), /use_local_image_pull = true/);
  const cri = version.major >= 2 ? 'io\\.containerd\\.cri\\.v1\\.runtime' : 'io\\.containerd\\.grpc\\.v1\\.cri';
  assert.match(dump(config), new RegExp(`\\[plugins\\.["']${cri}["']\\.containerd\\.runtimes\\.wasmts\\][^\\n]*\\n(\\s+\\w+ = [^\\n]*\\n)*?\\s+runtime_type = ["']io\\.containerd\\.wasmts\\.v1["']`));
});

test('a second install changes nothing; doctor reports the handler and the binary', () => {
  const before = readFileSync(config, 'utf8');
  assert.is(shim('install', '--config', config, '--bin-dir', binDir).status, 0);
  assert.is(readFileSync(config, 'utf8'), before);
  const doctor = shim('doctor', '--config', config, '--bin-dir', binDir);
  assert.is(doctor.status, 0, doctor.stdout);
  assert.match(doctor.stdout, /ok\s+handler/);
  assert.match(doctor.stdout, /ok\s+runc/);
  assert.match(doctor.stdout, /ok\s+script\s+script from util-linux \d/);
  assert.match(doctor.stdout, new RegExp(`ok\\s+containerd\\s+containerd ${version.name.replace('.', '\\.')}\\.\\d+`));
});

test('doctor on a node without util-linux script warns that terminals need it, and passes', () => {
  // A PATH with containerd and runc and nothing else: /usr/bin, where script lives, is not on it.
  const bare = join(work, 'bare-path');
  mkdirSync(bare);
  symlinkSync(containerdBinary, join(bare, 'containerd'));
  symlinkSync(execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim(), join(bare, 'runc'));
  const doctor = spawnSync(binary, ['doctor', '--config', config, '--bin-dir', binDir], { encoding: 'utf8', env: { ...process.env, PATH: bare } });
  assert.is(doctor.status, 0, doctor.stdout);
  assert.match(doctor.stdout, /ok\s+runc/);
  assert.match(doctor.stdout, /WARN script\s+script \(util-linux\) is not on PATH: terminals for native containers and execs .*apt-get install bsdutils/);
});

// The shims inherit the running containerd's environment, so doctor looks on its PATH, not the
// shell's: here a shell PATH with nothing on it, and a containerd whose PATH lacks the shim.
test('doctor reads the running containerd\'s PATH: runc is found on it, and a shim not on it fails with what to do', async () => {
  const noShim = join(work, 'no-shim');
  const empty = join(work, 'empty-path');
  mkdirSync(noShim);
  mkdirSync(empty);
  const containerd = new PrivateContainerd({ shimDir: noShim });
  await containerd.start();
  try {
    const doctor = spawnSync(binary, ['doctor', '--config', join(containerd.dir, 'config.toml'), '--bin-dir', binDir], { encoding: 'utf8', env: { ...process.env, PATH: empty } });
    assert.is(doctor.status, 1, doctor.stdout);
    assert.match(doctor.stdout, new RegExp(`ok\\s+containerd\\s+containerd ${containerd.version.name.replace('.', '\\.')}\\.\\d+`));
    assert.match(doctor.stdout, /ok\s+runc\s+\/\S+\/runc: runc version/);
    assert.match(doctor.stdout, /FAIL\s+binary\s+containerd cannot find containerd-shim-wasmts-v1 on containerd's PATH \(pid \d+: [^)]*no-shim[^)]*\)/);
  } finally {
    await containerd.stop();
  }
});

test('uninstall removes exactly what install added; doctor then says what to do', () => {
  const result = shim('uninstall', '--config', config, '--bin-dir', binDir);
  assert.is(result.status, 0, result.stderr);
  assert.is(readFileSync(config, 'utf8'), original);
  assert.not.ok(existsSync(join(binDir, 'containerd-shim-wasmts-v1')));
  assert.not.match(dump(config), 'runtimes.wasmts');
  const doctor = shim('doctor', '--config', config, '--bin-dir', binDir);
  assert.is(doctor.status, 1);
  assert.match(doctor.stdout, /FAIL\s+handler .*run containerd-shim-wasmts-v1 install/);
});

test('version 3 configs get the containerd 2.x table; version 1 is refused with what to do', () => {
  writeFileSync(config, 'version = 3\n');
  assert.is(shim('install', '--config', config, '--bin-dir', binDir).status, 0);
  assert.match(readFileSync(config, 'utf8'), '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.wasmts]');
  writeFileSync(config, '[plugins.cri]\n');
  const refused = shim('install', '--config', config, '--bin-dir', binDir);
  assert.is.not(refused.status, 0);
  assert.match(refused.stderr, 'containerd config migrate');
});

test.run();
