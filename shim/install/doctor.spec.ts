import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addHandler } from './containerd-config.ts';
import { cgroupDriverCheck, containerdVersionCheck, imagePullCheck, printChecks, reaperCheck, scriptCheck, toolChecks } from './doctor.ts';

test('containerd versions: 1.6+ passes, older and missing fail with what to do', () => {
  assert.ok(containerdVersionCheck('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n').ok);
  assert.ok(containerdVersionCheck('containerd containerd.io v2.0.4 abc\n').ok);
  const old = containerdVersionCheck('containerd github.com/containerd/containerd v1.5.9 x\n');
  assert.is(old.ok, false);
  assert.match(old.detail, 'needs 1.6 or later');
  assert.match(containerdVersionCheck(undefined).detail, 'install containerd');
});

test('containerd 1.6.20 is told wasm artifacts need 1.6.25; 2.x configs without install\'s part are told what is missing', () => {
  assert.match(containerdVersionCheck('containerd github.com/containerd/containerd 1.6.20~ds1 x\n').detail, 'cannot be pulled before 1.6.25');
  assert.match(containerdVersionCheck('containerd github.com/containerd/containerd 1.6.20~ds1 x\n').detail, 'before 1.6.22 the last (up to 64 KiB) of a container\'s CRI log can be lost');
  assert.not.match(containerdVersionCheck('containerd github.com/containerd/containerd v1.7.24 x\n').detail, 'CRI log');
  assert.is(containerdVersionCheck('containerd x v1.7.24 y\n').detail, 'containerd 1.7.24');
  assert.is(imagePullCheck({ major: 1, minor: 7, patch: 24 }, ''), undefined);
  const bare = imagePullCheck({ major: 2, minor: 3, patch: 7 }, 'version = 3\n')!;
  assert.is(bare.ok, false);
  assert.match(bare.detail, 'use_local_image_pull = true and unpack_config entries for wasip1/wasm, wasi/wasm');
  assert.match(bare.detail, '--platform wasip1/wasm');
  assert.ok(imagePullCheck({ major: 2, minor: 3, patch: 7 }, addHandler('version = 3\n').text)!.ok);
});

test('the cgroup driver: the same for runc and wasmts passes; a mismatch, or systemd without systemd, fails saying what to set', () => {
  const runcSystemd = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n';
  assert.equal(cgroupDriverCheck(addHandler('version = 2\n').text, false), { name: 'cgroup driver', ok: true, detail: 'cgroupfs, the same for runc and wasmts' });
  assert.is(cgroupDriverCheck(addHandler(runcSystemd).text, true).ok, true);
  const mismatch = cgroupDriverCheck(`${runcSystemd}[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts]\n  runtime_type = "io.containerd.wasmts.v1"\n`, true);
  assert.is(mismatch.ok, false);
  assert.match(mismatch.detail, 'runc\'s handler uses the systemd driver but the wasmts handler cgroupfs: pod metrics and limits break');
  const noSystemd = cgroupDriverCheck(addHandler(runcSystemd).text, false);
  assert.is(noSystemd.ok, false);
  assert.match(noSystemd.detail, 'systemd is not running on this node');
});

test('util-linux script: found, it is named; missing, a warning says what needs it and where to get it, and doctor still passes', () => {
  assert.equal(scriptCheck('script from util-linux 2.38.1\n'), { name: 'script', ok: true, detail: 'script from util-linux 2.38.1' });
  const missing = scriptCheck(undefined);
  assert.equal([missing.ok, missing.warning], [true, true]);
  assert.match(missing.detail, 'terminals for native containers and execs (tty: true, kubectl exec -it) fail without it');
  assert.match(missing.detail, 'apt-get install bsdutils');
  const lines: string[] = [];
  assert.is(printChecks([{ name: 'runc', ok: true, detail: 'runc version 1.1.5' }, missing], (line) => lines.push(line)), true);
  assert.match(lines[1]!, /^WARN script\s+script \(util-linux\) is not on PATH/);
  assert.is(printChecks([missing, { name: 'runc', ok: false, detail: 'runc is not on PATH' }], () => {}), false);
});

test('a PID 1 that reaps orphans is named; one that does not is a warning that says what to run containerd under', () => {
  assert.equal(reaperCheck('systemd', true), { name: 'reaper', ok: true, detail: 'orphans are reaped (PID 1 is systemd)' });
  const zombie = reaperCheck('sleep', false);
  assert.equal([zombie.ok, zombie.warning], [true, true]);
  assert.match(zombie.detail, /an orphan was left unreaped \(PID 1 is sleep\): every wasm container that ends would stay a zombie process; run the node's containerd under an init that reaps orphans \(systemd, or tini -s\)/);
});

// The shims inherit containerd's environment: runc, script and the shim are found on its PATH.
test('with containerd running, runc, script and the shim are looked up on containerd\'s PATH and named where they are not', () => {
  const files = new Set(['/usr/sbin/runc', '/usr/bin/script', '/usr/local/bin/containerd-shim-wasmts-v1', '/opt/runc']);
  const isExecutable = (path: string) => files.has(path);
  const version = (file: string) => `${file} version 1\n`;
  const containerd = (env: [string, string][]) => ({ pid: 42, executable: '/usr/bin/containerd', env: new Map(env) });
  const installed = '/usr/local/bin/containerd-shim-wasmts-v1';
  const good = toolChecks(containerd([['PATH', '/usr/local/bin:/usr/sbin:/usr/bin']]), installed, version, isExecutable);
  assert.equal(good.map((c) => [c.name, c.ok, c.warning ?? false]), [['runc', true, false], ['script', true, false], ['binary', true, false]]);
  assert.match(good[0]!.detail, '/usr/sbin/runc: /usr/sbin/runc version 1');
  assert.match(good[2]!.detail, `${installed}, on containerd's PATH (pid 42: /usr/local/bin:/usr/sbin:/usr/bin)`);
  const short = toolChecks(containerd([['PATH', '/usr/bin'], ['WASMTS_RUNC', '/opt/runc']]), installed, version, isExecutable);
  assert.equal(short.map((c) => [c.name, c.ok]), [['runc', true], ['script', true], ['binary', false]]);
  assert.match(short[0]!.detail, '/opt/runc');
  assert.match(short[2]!.detail, 'containerd cannot find containerd-shim-wasmts-v1 on containerd\'s PATH (pid 42: /usr/bin) or beside /usr/bin/containerd: run containerd-shim-wasmts-v1 install --bin-dir');
  const none = toolChecks(containerd([]), installed, version, isExecutable);
  assert.equal(none.map((c) => [c.name, c.ok, c.warning ?? false]), [['runc', false, false], ['script', true, true], ['binary', false, false]]);
  assert.match(none[0]!.detail, 'runc is not on containerd\'s PATH (pid 42: none set): install it');
  const other = toolChecks(containerd([['PATH', '/usr/sbin:/opt/bin']]), installed, version, (path) => isExecutable(path) || path === '/opt/bin/containerd-shim-wasmts-v1');
  assert.equal([other[2]!.ok, other[2]!.warning], [true, true]);
  assert.match(other[2]!.detail, `containerd runs /opt/bin/containerd-shim-wasmts-v1, not ${installed}`);
});

test.run();
