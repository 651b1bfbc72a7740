// The node-wide cache of transpiled components, keyed by the component's sha256 and the jco version.
// Every daemon of the node shares it: an entry is made in a staging directory by a `transpile`
// process and renamed into place, under a lock directory that tells other daemons to wait for it.
// Entries are checked file by file when used (a corrupt one is rebuilt) and the least recently used
// go when the cache outgrows its bound.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifest, type ComponentManifest } from '../../runtime/component/cache-format.ts';
import type { Logger } from '../log.ts';
import { inSpan } from '../tracing/api.ts';
import { selfCommand } from '../self.ts';

declare const JCO_VERSION: string;

// The subcommand of this executable that transpiles (shim/main.ts).
const TRANSPILE_COMMAND = 'transpile';
const TRANSPILE_TIMEOUT_MS = 300_000;
// How often a daemon waiting on another's transpile looks at the lock again.
const LOCK_POLL_MS = 50;
const ORPHAN_LOCK_MS = 10_000;
// Entries used this recently are never evicted: a container may be between Create and Start.
const EVICT_GRACE_MS = 10 * 60_000;

export class ComponentError extends Error {
  override name = 'ComponentError';
}

export interface ComponentCacheOptions {
  root: string;
  maxBytes: number;
  log: Logger;
  self?: { file: string; args: string[] };
}

export interface CachedComponent {
  dir: string;
  manifest: ComponentManifest;
  // Whether this call made the entry.
  transpiled: boolean;
}

export function jcoVersion(): string {
  if (typeof JCO_VERSION === 'string') return JCO_VERSION;
  const pkg = new URL('../../node_modules/@bytecodealliance/jco-transpile/package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('error', reject).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex')));
  });
}

// The entry's manifest, if every file it lists is there with its size and digest.
export async function validEntry(dir: string, key: { sha256: string; jco: string }): Promise<ComponentManifest | undefined> {
  const manifest = parseManifest(await readFile(join(dir, MANIFEST_FILE), 'utf8').catch(() => ''));
  if (!manifest || manifest.sha256 !== key.sha256 || manifest.jco !== key.jco) return undefined;
  for (const [name, expected] of Object.entries(manifest.files)) {
    const file = join(dir, name);
    const size = await stat(file).then((s) => s.size, () => -1);
    if (size !== expected.size || (await sha256File(file)) !== expected.sha256) return undefined;
  }
  return manifest;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// mkdir is atomic: one daemon holds the lock; the others wait until it is gone. A holder that died
// leaves its pid in the lock: the lock is then taken over.
async function withLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
      // A holder that died before writing its pid leaves a lock without one: old enough, it is stale.
      const orphan = !(pid > 0) && Date.now() - (await stat(lock).then((s) => s.mtimeMs, () => Date.now())) > ORPHAN_LOCK_MS;
      if ((pid > 0 && !alive(pid)) || orphan) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      await delay(LOCK_POLL_MS);
    }
  }
  try {
    await writeFile(join(lock, 'pid'), String(process.pid));
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function runTranspile(self: { file: string; args: string[] }, input: string, outDir: string, jco: string, label: string): Promise<void> {
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    execFile(self.file, [...self.args, TRANSPILE_COMMAND, input, outDir, jco], { timeout: TRANSPILE_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20, env: {} }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const reason = stderr.trim().replace(/^containerd-shim-wasmts-v1: /, '');
      if (error.killed) return reject(new ComponentError(`transpiling ${label} took more than ${TRANSPILE_TIMEOUT_MS / 1000} s and was stopped`));
      reject(new ComponentError(`${label} is not a valid WebAssembly component: ${reason || error.message}: rebuild it with a current toolchain (cargo component, componentize-js, wasm-tools component new)`));
    });
  });
}

// `SHA256-jcoVERSION`; beside it while being made: `.lock` and `.PID.tmp`.
const isEntryName = (name: string) => /^[0-9a-f]{64}-jco/.test(name) && !/\.(lock|tmp)$/.test(name);

async function entrySizes(root: string): Promise<{ dir: string; bytes: number; used: number }[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const entries = [];
  for (const name of names.filter(isEntryName)) {
    const dir = join(root, name);
    const used = await stat(join(dir, MANIFEST_FILE)).then((s) => s.mtimeMs, () => 0);
    let bytes = 0;
    for (const file of await readdir(dir).catch(() => [] as string[])) bytes += await stat(join(dir, file)).then((s) => s.size, () => 0);
    entries.push({ dir, bytes, used });
  }
  return entries;
}

export async function evict(root: string, maxBytes: number, keep: string, log: Logger, now = Date.now()): Promise<void> {
  const entries = await entrySizes(root);
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  for (const entry of entries.sort((a, b) => a.used - b.used)) {
    if (total <= maxBytes) break;
    if (entry.dir === keep || now - entry.used < EVICT_GRACE_MS) continue;
    await rm(entry.dir, { recursive: true, force: true });
    total -= entry.bytes;
    log.info('component cache entry evicted', { entry: entry.dir, bytes: entry.bytes });
  }
}

export class ComponentCache {
  readonly #options: ComponentCacheOptions;
  readonly #jco = jcoVersion();
  // Creates of one component in this daemon share one lookup.
  readonly #pending = new Map<string, Promise<CachedComponent>>();
  constructor(options: ComponentCacheOptions) {
    this.#options = options;
  }

  get root(): string {
    return this.#options.root;
  }

  async get(hostPath: string, label: string): Promise<CachedComponent> {
    const sha256 = await sha256File(hostPath);
    const key = `${sha256}-jco${this.#jco}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#lookup(hostPath, label, key, sha256).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #lookup(hostPath: string, label: string, key: string, sha256: string): Promise<CachedComponent> {
    const { root, log } = this.#options;
    const dir = join(root, key);
    const wanted = { sha256, jco: this.#jco };
    const touch = async (manifest: ComponentManifest, transpiled: boolean) => {
      const now = new Date();
      await utimes(join(dir, MANIFEST_FILE), now, now).catch(() => {});
      return { dir, manifest, transpiled };
    };
    const cached = await validEntry(dir, wanted);
    if (cached) return touch(cached, false);
    await mkdir(root, { recursive: true });
    return withLock(`${dir}.lock`, async () => {
      // Another daemon may have made it while this one waited.
      const made = await validEntry(dir, wanted);
      if (made) return touch(made, false);
      const staging = `${dir}.${process.pid}.tmp`;
      await rm(staging, { recursive: true, force: true });
      const started = performance.now();
      try {
        const attributes = { 'wasmts.component': label, 'wasmts.component.sha256': sha256, 'wasmts.jco.version': this.#jco };
        await inSpan('component transpile', { attributes }, () => runTranspile(this.#options.self ?? selfCommand(), hostPath, staging, this.#jco, label));
        const manifest = await validEntry(staging, wanted);
        if (!manifest) throw new ComponentError(`transpiling ${label} left an incomplete cache entry in ${staging}`);
        await rm(dir, { recursive: true, force: true });
        await rename(staging, dir);
        log.info('component transpiled', { component: label, sha256, ms: Math.round(performance.now() - started) });
        await evict(root, this.#options.maxBytes, dir, log);
        return await touch(manifest, true);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    });
  }
}
