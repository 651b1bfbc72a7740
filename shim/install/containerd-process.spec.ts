import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configOf, DEFAULT_CONTAINERD_CONFIG, findContainerd, lookPath, parseEnviron, shimFor } from './containerd-process.ts';

test('a command line names its config with --config or -c, in either form, or gets the default', () => {
  assert.is(configOf(['containerd']), DEFAULT_CONTAINERD_CONFIG);
  assert.is(configOf(['containerd', '--config', '/x/c.toml']), '/x/c.toml');
  assert.is(configOf(['containerd', '-c', '/x/c.toml', '--log-level', 'debug']), '/x/c.toml');
  assert.is(configOf(['containerd', '--config=/x/c.toml']), '/x/c.toml');
});

test('environ is NUL-separated NAME=value pairs; a value may hold =', () => {
  assert.equal([...parseEnviron('PATH=/a:/b\0X=y=z\0\0')], [['PATH', '/a:/b'], ['X', 'y=z']]);
});

test('lookPath takes the first executable of the name in PATH\'s order; a name with a slash is itself', () => {
  const executables = new Set(['/b/runc', '/c/runc', '/opt/runc']);
  const isExecutable = (path: string) => executables.has(path);
  assert.is(lookPath('runc', '/a:/b:/c', isExecutable), '/b/runc');
  assert.is(lookPath('runc', '/a', isExecutable), undefined);
  assert.is(lookPath('runc', undefined, isExecutable), undefined);
  assert.is(lookPath('/opt/runc', '/a', isExecutable), '/opt/runc');
});

test('containerd finds a shim on its PATH first, else beside its own executable', () => {
  const containerd = { pid: 7, executable: '/usr/bin/containerd', env: new Map([['PATH', '/usr/local/bin:/usr/bin']]) };
  assert.is(shimFor('containerd-shim-x', containerd, (p) => p === '/usr/bin/containerd-shim-x'), '/usr/bin/containerd-shim-x');
  assert.is(shimFor('containerd-shim-x', { ...containerd, env: new Map() }, (p) => p === '/usr/bin/containerd-shim-x'), '/usr/bin/containerd-shim-x');
  assert.is(shimFor('containerd-shim-x', containerd, () => false), undefined);
});

test('the containerd daemon of a config is found in /proc; its subcommands and other configs are not', () => {
  const proc = mkdtempSync('/tmp/wasmts-proc-');
  try {
    const fake = (pid: number, argv: string[], env: string, comm = 'containerd') => {
      mkdirSync(join(proc, String(pid)));
      writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
      writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
      writeFileSync(join(proc, String(pid), 'environ'), env);
      symlinkSync(`/opt/bin/${comm}`, join(proc, String(pid), 'exe'));
    };
    fake(10, ['containerd', '--config', '/tmp/other.toml'], 'PATH=/other');
    fake(11, ['containerd', 'config', 'dump'], 'PATH=/dump');
    fake(12, ['containerd-shim-runc-v2', '-namespace', 'k8s.io'], 'PATH=/shim', 'containerd-shim');
    fake(13, ['/usr/bin/containerd'], 'PATH=/usr/bin\0WASMTS_RUNC=/opt/runc');
    mkdirSync(join(proc, 'self'));
    const found = findContainerd(DEFAULT_CONTAINERD_CONFIG, proc)!;
    assert.is(found.pid, 13);
    assert.is(found.executable, '/opt/bin/containerd');
    assert.is(found.env.get('WASMTS_RUNC'), '/opt/runc');
    assert.is(findContainerd('/tmp/other.toml', proc)!.pid, 10);
    assert.is(findContainerd('/tmp/none.toml', proc), undefined);
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});

test.run();
