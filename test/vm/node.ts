// Inside the VM: a node as an operator sets one up. containerd of the version under test runs as a
// systemd service (its upstream unit's essentials: Type=notify, Delegate=yes, KillMode=process), with
// containerd's default config, the runc handler set to the driver under test, and then our `install
// --restart`, which adds the wasmts handler and restarts containerd through systemd.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdVersion, type ContainerdVersion } from '../../scripts/containerd-versions.ts';
import { CriClient } from '../cri/client.ts';
import { PAUSE_IMAGE } from '../fixtures/build.ts';
import { until } from '../e2e/poll.ts';

export const BINARY = join(import.meta.dirname, '../../dist/containerd-shim-wasmts-v1');
export const CONFIG = '/etc/containerd/config.toml';
export const SOCKET = '/run/containerd/containerd.sock';
export type Driver = 'systemd' | 'cgroupfs';

const UNIT = `[Unit]
Description=containerd (the version under test)
After=network.target dbus.service
[Service]
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
OOMScoreAdjust=-999
[Install]
WantedBy=multi-user.target
`;

const CNI_CONFIG = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'wasmts-vm',
  plugins: [
    { type: 'bridge', bridge: 'wasmts0', isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.98.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }] } },
  ],
});

export interface VmNode {
  version: ContainerdVersion;
  driver: Driver;
  cri: CriClient;
  images: { wasm: string; busybox: string };
  // containerd's main pid before and after `install --restart`.
  restartedPids: [number, number];
  installOutput: string;
}

export const sh = (command: string) => execFileSync('sh', ['-c', command], { encoding: 'utf8' });
export const ctr = (args: string[]) => execFileSync('/usr/local/bin/ctr', args, { encoding: 'utf8' });
const mainPid = () => Number(sh('systemctl show -p MainPID --value containerd').trim());

async function waitForContainerd(previousPid: number): Promise<number> {
  return until(() => {
    const active = sh('systemctl is-active containerd || true').trim() === 'active';
    const pid = mainPid();
    return active && pid !== 0 && pid !== previousPid && existsSync(SOCKET) && pid;
  }, 'containerd active under systemd', 120_000);
}

// The images the host built (test/fixtures/build.ts) and named in WASMTS_VM_IMAGES.
function hostImages(): { wasm: string; busybox: string; pause: string } {
  const images = process.env.WASMTS_VM_IMAGES;
  if (!images) throw new Error('WASMTS_VM_IMAGES is not set: this file runs inside the VM, started by node test/run.ts vm');
  return JSON.parse(images);
}

export async function startVmNode(driver: Driver, version = containerdVersion()): Promise<VmNode> {
  sh('systemctl stop containerd 2>/dev/null; rm -rf /var/lib/containerd /run/containerd /etc/containerd /etc/cni/net.d /var/lib/cni; true');
  for (const tool of ['containerd', 'ctr', 'containerd-shim-runc-v2']) copyFileSync(join(version.binDir, tool), `/usr/local/bin/${tool}`);
  sh('chmod 755 /usr/local/bin/containerd /usr/local/bin/ctr /usr/local/bin/containerd-shim-runc-v2');
  writeFileSync('/etc/systemd/system/containerd.service', UNIT);
  mkdirSync('/etc/containerd', { recursive: true });
  mkdirSync('/etc/cni/net.d', { recursive: true });
  writeFileSync('/etc/cni/net.d/10-wasmts-vm.conflist', CNI_CONFIG);
  const defaults = execFileSync('/usr/local/bin/containerd', ['config', 'default'], { encoding: 'utf8' });
  if (!/SystemdCgroup = false/.test(defaults)) throw new Error(`containerd ${version.name}'s default config has no SystemdCgroup for runc`);
  writeFileSync(CONFIG, defaults
    .replace(/sandbox_image = ".*"/, `sandbox_image = "${PAUSE_IMAGE}"`)
    .replace(/^(\s*)sandbox = '.*'$/m, `$1sandbox = '${PAUSE_IMAGE}'`)
    .replace(/bin_dir = "\/opt\/cni\/bin"/, 'bin_dir = "/usr/lib/cni"')
    .replace(/bin_dirs = \['\/opt\/cni\/bin'\]/, "bin_dirs = ['/usr/lib/cni']")
    .replace(/SystemdCgroup = false/, `SystemdCgroup = ${driver === 'systemd'}`));
  sh('systemctl daemon-reload && systemctl start containerd');
  const before = await waitForContainerd(0);
  const installOutput = execFileSync(BINARY, ['install', '--restart'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const after = await waitForContainerd(before);
  const images = hostImages();
  for (const [archive, platform] of [[images.wasm, 'wasip1/wasm'], [images.busybox, 'linux/amd64'], [images.pause, 'linux/amd64']] as const) {
    ctr(['-n', 'k8s.io', 'images', 'import', '--platform', platform, archive]);
  }
  return { version, driver, cri: new CriClient(SOCKET), images, restartedPids: [before, after], installOutput };
}

export function stopVmNode(node: VmNode | undefined): void {
  node?.cri.close();
  sh('systemctl stop containerd; true');
}

export const readCgroupFile = (path: string) => readFileSync(join('/sys/fs/cgroup', path), 'utf8').trim();
