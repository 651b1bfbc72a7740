import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addHandler, configVersion, hasHandler, removeHandler, usesSystemd } from './containerd-config.ts';

const v2 = `# my node's config
version = 2
root = "/var/lib/containerd"   # keep

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  # systemd cgroups on this node
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = true
`;

test('versions 2 and 3 are told apart; 1 and junk are refused with what to do', () => {
  assert.is(configVersion(v2), 2);
  assert.is(configVersion('version = 3\n'), 3);
  assert.is(configVersion(''), 2);
  assert.throws(() => configVersion('root = "/x"\n'), /containerd config migrate/);
  assert.throws(() => configVersion('version = 1\n'), /version 1 is not supported/);
});

test('install adds one block and keeps every other byte; a second install changes nothing', () => {
  const once = addHandler(v2);
  assert.ok(once.changed);
  assert.ok(once.text.startsWith(v2));
  assert.match(once.text, '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts]\n  runtime_type = "io.containerd.wasmts.v1"');
  assert.ok(hasHandler(once.text));
  const twice = addHandler(once.text);
  assert.is(twice.changed, false);
  assert.is(twice.text, once.text);
});

test('version 3 gets the containerd 2.x plugin table', () => {
  const out = addHandler('version = 3\n').text;
  assert.match(out, '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.wasmts]');
});

test('uninstall removes exactly what install added', () => {
  assert.is(removeHandler(addHandler(v2).text).text, v2);
  const noNewline = 'version = 2\nroot = "/x"';
  assert.is(removeHandler(addHandler(noNewline).text).text, `${noNewline}\n`);
  assert.equal(removeHandler(v2), { text: v2, changed: false });
});

test('a handler defined by hand, however it is spelt, is left alone and reported', () => {
  for (const spelling of [
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts] # from ansible',
    '[ plugins . "io.containerd.grpc.v1.cri" . containerd . runtimes . "wasmts" ]',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\n  wasmts.runtime_type = "io.containerd.wasmts.v1"',
  ]) {
    const result = addHandler(`${v2}\n${spelling}\n`);
    assert.is(result.changed, false, spelling);
    assert.ok(hasHandler(`${v2}\n${spelling}\n`), spelling);
  }
  assert.not.ok(hasHandler(`${v2}\n# [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts]\n`), 'a comment is not a definition');
});

test('whitespace-only and CRLF configs', () => {
  assert.match(addHandler('\n\n').text, /^version = 2\n/);
  assert.is(configVersion('version = 2 # note\r\nroot = "/x"\r\n'), 2);
});

test('a handler defined by hand is left alone and reported (exact header)', () => {
  const byHand = `${v2}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts]\n  runtime_type = "io.containerd.wasmts.v1"\n`;
  const result = addHandler(byHand);
  assert.is(result.changed, false);
  assert.match(result.note!, 'by hand');
  assert.ok(hasHandler(byHand));
});


const v3 = `version = 3

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'native'
  use_local_image_pull = false   # the default

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'registry.k8s.io/pause:3.10'
`;

test('containerd 2.x: the local puller on in place, wasm unpack entries on the CRI snapshotter, all undone by uninstall', () => {
  const once = addHandler(v3);
  assert.match(once.text, "  use_local_image_pull = true  # wasmts: uninstall restores: use_local_image_pull = false   # the default\n");
  assert.match(once.text, '[[plugins."io.containerd.transfer.v1.local".unpack_config]]\n  platform = "wasip1/wasm"\n  snapshotter = "native"\n  differ = "walking"');
  assert.match(once.text, '  platform = "linux/');
  assert.is(addHandler(once.text).text, once.text);
  assert.is(removeHandler(once.text).text, v3);
});

test('containerd 2.x: the key is added under the images table, or the table in our block; an own unpack_config is left alone', () => {
  const sparse = "version = 3\n[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'overlayfs'\n";
  const added = addHandler(sparse);
  assert.match(added.text, "[plugins.'io.containerd.cri.v1.images']\n  use_local_image_pull = true  # wasmts: added");
  assert.is(removeHandler(added.text).text, sparse);
  const bare = addHandler('version = 4\n');
  assert.match(bare.text, '[plugins."io.containerd.cri.v1.images"]\n  use_local_image_pull = true\n');
  assert.is(removeHandler(bare.text).text, 'version = 4\n');
  const own = addHandler('version = 3\n[[plugins."io.containerd.transfer.v1.local".unpack_config]]\n  platform = "linux/amd64"\n  snapshotter = "overlayfs"\n');
  assert.not.match(own.text, 'wasip1/wasm"');
  assert.match(own.note ?? '', 'differ = "walking"');
});

test('the handler gets runc\'s SystemdCgroup, so both pass runc the same cgroup driver', () => {
  const v2 = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n';
  assert.ok(usesSystemd(v2, 2));
  const added = addHandler(v2).text;
  assert.match(added, '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts.options]\n  SystemdCgroup = true\n');
  assert.is(removeHandler(added).text, v2);
  const v3 = "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true # the kubelet's driver\n";
  assert.ok(usesSystemd(v3, 3));
  assert.not.ok(usesSystemd(v3.replace('true', 'false'), 3));
  assert.not.ok(usesSystemd('version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.other.options]\n  SystemdCgroup = true\n', 2));
  assert.not.match(addHandler('version = 2\n').text, 'SystemdCgroup');
  assert.ok(usesSystemd(added, 2, 'wasmts'));
});

test.run();
