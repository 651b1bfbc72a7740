import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesField, stringField, varintField } from '../bootstrap/proto-wire.ts';
import { systemdCgroupInToml, systemdCgroupOption } from './runtime-options.ts';

const runtimeOptions = (fields: number[]) => ({ typeUrl: 'runtimeoptions.v1.Options', value: Uint8Array.from(fields) });

test('SystemdCgroup is read from the TOML body containerd passes; absent means cgroupfs', async () => {
  assert.is(await systemdCgroupOption(runtimeOptions(bytesField(3, new TextEncoder().encode('SystemdCgroup = true\n')))), true);
  assert.is(await systemdCgroupOption(runtimeOptions(bytesField(3, new TextEncoder().encode('BinaryName = "x"\n')))), false);
  assert.is(await systemdCgroupOption(undefined), false);
  assert.is(await systemdCgroupOption({ typeUrl: 'runtimeoptions.v1.Options', value: new Uint8Array() }), false);
});

test('a ConfigPath file is read instead; a missing one is an error naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'options-'));
  try {
    const file = join(dir, 'wasmts.toml');
    writeFileSync(file, '# the driver\nSystemdCgroup = true # as for runc\n');
    assert.is(await systemdCgroupOption(runtimeOptions(stringField(2, file))), true);
    const error = await systemdCgroupOption(runtimeOptions(stringField(2, join(dir, 'missing.toml')))).catch((e: Error) => e);
    assert.match(String(error), /cannot read the runtime options file .*missing.toml \(ConfigPath/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('runc\'s own options type works too; the key counts only at the top of the table', async () => {
  assert.is(await systemdCgroupOption({ typeUrl: 'type.googleapis.com/containerd.runc.v1.Options', value: Uint8Array.from(varintField(9, 1)) }), true);
  assert.is(await systemdCgroupOption({ typeUrl: 'containerd.runc.v1.Options', value: Uint8Array.from(varintField(6, 1)) }), false);
  assert.is(systemdCgroupInToml('[sub]\nSystemdCgroup = true\n'), false);
  assert.is(systemdCgroupInToml('  SystemdCgroup=false\n'), false);
});

test.run();
