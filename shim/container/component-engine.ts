// Which engine runs a component, from what it exports, and whether the host provides what it
// imports: decided at Create, so that a component the runner could not run never starts.
import type { ComponentManifest } from '../../runtime/component/cache-format.ts';
import { HTTP_HANDLER_EXPORT, PROVIDED_INTERFACES, RUN_EXPORT, unversioned } from '../../runtime/component/interfaces.ts';
import type { Engine } from '../../runtime/guest.ts';

const isWasi02 = (version: string | undefined) => version === undefined || /^0\.2\.\d+/.test(version);

export function componentEngine(manifest: ComponentManifest, label: string): Engine {
  // jco lists each versioned interface a second time by its short name (`run`): only full names count.
  const exported = manifest.exports.filter((name) => name.includes(':'));
  const has = (wanted: string) => exported.some((name) => unversioned(name).name === wanted);
  const http = has(HTTP_HANDLER_EXPORT);
  if (!http && !has(RUN_EXPORT)) {
    const list = exported.length > 0 ? exported.join(', ') : 'nothing';
    throw new Error(`${label} exports neither ${RUN_EXPORT} nor ${HTTP_HANDLER_EXPORT} (it exports ${list}): build it as a command (the wasi:cli/command world) or an HTTP server (wasi:http/proxy)`);
  }
  const missing = manifest.imports.filter((name) => {
    const { name: bare, version } = unversioned(name);
    return !PROVIDED_INTERFACES.includes(bare) || !isWasi02(version);
  });
  if (missing.length > 0) {
    throw new Error(`${label} imports ${missing.join(', ')}, which wasmts does not provide (it provides WASI 0.2 ${PROVIDED_INTERFACES.map((n) => n.replace(/^wasi:/, '')).join(', ')}): build it without them`);
  }
  // A component that is both runs as a server: that is what a pod with a port expects of it.
  return http ? 'component-http' : 'component-command';
}
