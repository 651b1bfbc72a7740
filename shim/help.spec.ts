import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS, helpText } from './help.ts';

test('--help lists every operator command with one line; help COMMAND lists its flags', () => {
  const text = helpText();
  for (const [name, entry] of Object.entries(COMMANDS)) {
    assert.match(text, `  ${name}`, name);
    assert.match(text, entry.summary);
  }
  assert.match(helpText('install'), /--config FILE\s+containerd's config/);
  assert.match(helpText('uninstall'), /--force\s+uninstall even while wasmts containers exist/);
  assert.throws(() => helpText('bogus'), /no command "bogus": the commands are install, uninstall, doctor, image, version/);
});

test.run();
