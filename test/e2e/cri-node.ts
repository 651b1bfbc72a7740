// A Kubernetes node's container side for tests and benchmarks: a private containerd with its CRI
// plugin, configured as an operator would (containerd's default config, then our `install`), a
// bridge CNI network inside a network namespace of its own, and the test images imported.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdVersion, type ContainerdVersion } from '../../scripts/containerd-versions.ts';
import { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { CriClient } from '../cri/client.ts';
import { PAUSE_IMAGE, buildPauseImage, buildTestImages } from '../fixtures/build.ts';
import { PrivateRegistry, writeRegistryHosts } from './registry.ts';

const binary = join(import.meta.dirname, '../../dist/containerd-shim-wasmts-v1');
const BRIDGE = { type: 'bridge', bridge: 'wasmts0', isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.99.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }] } };
// portmap (iptables DNAT inside the node's network namespace) makes a pod's hostPort reachable.
const cniConfig = (hostPorts: boolean) => JSON.stringify({
  cniVersion: '1.0.0',
  name: 'wasmts-test',
  plugins: [BRIDGE, ...(hostPorts ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : [])],
});

export const defaultConfig = (version: ContainerdVersion) => execFileSync(join(version.binDir, 'containerd'), ['config', 'default'], { encoding: 'utf8' });

// The test only points the config at its own images, CNI plugins and registry, and at a node without
// CAP_SYS_RESOURCE. Keys are spelt as each version's default config spells them.
function nodeConfig(work: string, version: ContainerdVersion): string {
  const path = join(work, 'config.toml');
  writeFileSync(path, defaultConfig(version));
  execFileSync(binary, ['install', '--config', path, '--bin-dir', join(work, 'bin')], { encoding: 'utf8' });
  const hosts = writeRegistryHosts(join(work, 'certs.d'));
  return readFileSync(path, 'utf8')
    .replace(/sandbox_image = ".*"/, `sandbox_image = "${PAUSE_IMAGE}"`)
    .replace(/^(\s*)sandbox = '.*'$/m, `$1sandbox = '${PAUSE_IMAGE}'`)
    .replace(/restrict_oom_score_adj = false/, 'restrict_oom_score_adj = true')
    .replace(/bin_dir = "\/opt\/cni\/bin"/, 'bin_dir = "/usr/lib/cni"')
    .replace(/bin_dirs = \['\/opt\/cni\/bin'\]/, "bin_dirs = ['/usr/lib/cni']")
    .replaceAll(/config_path = (""|'')/g, `config_path = "${hosts}"`);
}

export interface CriNode {
  containerd: PrivateContainerd;
  cri: CriClient;
  registry: PrivateRegistry;
  images: { wasm: string; busybox: string; pause: string };
}

export interface CriNodeOptions {
  // The portmap CNI plugin after the bridge, as on a kubeadm node.
  hostPorts?: boolean;
}

export async function startCriNode(work: string, version = containerdVersion(), options: CriNodeOptions = {}): Promise<CriNode> {
  mkdirSync(join(work, 'bin'), { recursive: true });
  const containerd = new PrivateContainerd({ shimDir: join(work, 'bin'), cri: true, network: true, config: nodeConfig(work, version), version });
  const [images, pause] = await Promise.all([buildTestImages(), buildPauseImage()]);
  const registry = new PrivateRegistry(containerd, work);
  try {
    await containerd.start();
    await registry.start();
    await containerd.exec('sh', ['-c', `cat > /etc/cni/net.d/10-wasmts-test.conflist <<'EOF'\n${cniConfig(options.hostPorts ?? false)}\nEOF`]);
    // containerd 2.x imports through its transfer service, which unpacks only the platform it is
    // asked for: the wasm image is named by its platform, as the README tells operators to do.
    for (const [archive, platform] of [[images.wasm, 'wasip1/wasm'], [images.busybox, 'linux/amd64'], [pause, 'linux/amd64']] as const) {
      const result = await containerd.ctr(['-n', 'k8s.io', 'images', 'import', '--platform', platform, archive]);
      if (result.code !== 0) throw new Error(`import failed: ${result.stderr}`);
    }
  } catch (error) {
    await registry.stop();
    await containerd.stop();
    throw error;
  }
  return { containerd, cri: new CriClient(containerd.socket), registry, images: { ...images, pause } };
}

// Undoes startCriNode (also one that failed half-way), and removes the work directory.
export async function stopCriNode(node: CriNode | undefined, work: string): Promise<void> {
  node?.cri.close();
  await node?.registry.stop();
  await node?.containerd.stop();
  removePodCgroups();
  rmSync(work, { recursive: true, force: true });
}

// The kubelet removes a pod's cgroup parent; our stand-in leaves it to this, once all pods are gone.
// Only this process's pods: other versions' suites may run at the same time.
export function removePodCgroups(): void {
  execFileSync('sh', ['-c', `find /sys/fs/cgroup -depth -type d -path "*/wasmts-test/pod-${process.pid}-*" -exec rmdir {} + 2>/dev/null; true`]);
}
