// A real OCI registry (Debian's docker-registry) on 127.0.0.1:5000 inside the private containerd's
// network namespace: images are pushed to it with skopeo and pulled by containerd's CRI plugin.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivateContainerd } from '../../scripts/private-containerd.ts';

// Where the registry runs: a private containerd's namespaces, or a node of its own (the test VM).
export type Place = Pick<PrivateContainerd, 'spawnInside' | 'exec'>;

export const REGISTRY = '127.0.0.1:5000';

// containerd (CRI and, on 2.x, the transfer service) reaches the registry over plain HTTP: a hosts.toml
// under the registry config_path, which every version from 1.6 reads. Returns that config_path.
export function writeRegistryHosts(dir: string): string {
  mkdirSync(join(dir, REGISTRY), { recursive: true });
  writeFileSync(join(dir, REGISTRY, 'hosts.toml'), `server = "http://${REGISTRY}"\n\n[host."http://${REGISTRY}"]\n  capabilities = ["pull", "resolve"]\n`);
  return dir;
}

export class PrivateRegistry {
  readonly #containerd: Place;
  readonly #dir: string;
  #process: ChildProcess | undefined;

  constructor(containerd: Place, dir: string) {
    this.#containerd = containerd;
    this.#dir = dir;
  }

  async start(): Promise<void> {
    const config = join(this.#dir, 'registry.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${join(this.#dir, 'registry')} } }`,
      `http: { addr: "${REGISTRY}" }`,
    ].join('\n'));
    this.#process = this.#containerd.spawnInside('docker-registry', ['serve', config]);
    // Nothing reads its output: a full pipe would stop the registry mid-request (critest's hundreds
    // of pulls filled one with access log lines), so it is drained.
    this.#process.stdout!.resume();
    this.#process.stderr!.resume();
    for (let i = 0; i < 100; i++) {
      const probe = await this.#containerd.exec('bash', ['-c', `echo > /dev/tcp/${REGISTRY.replace(':', '/')}`]);
      if (probe.code === 0) return;
      if (this.#process.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('docker-registry did not listen on 127.0.0.1:5000: is it installed (apt-get install docker-registry)?');
  }

  // Pushes an OCI image archive; returns the reference to pull it by.
  async push(archive: string, name: string): Promise<string> {
    const reference = `${REGISTRY}/${name}`;
    const result = await this.#containerd.exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci-archive:${archive}`, `docker://${reference}`]);
    if (result.code !== 0) throw new Error(`skopeo copy failed: ${result.stderr}`);
    return reference;
  }

  async stop(): Promise<void> {
    if (!this.#process || this.#process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#process!.once('exit', resolve));
    this.#process.kill('SIGKILL');
    await exited;
  }
}
