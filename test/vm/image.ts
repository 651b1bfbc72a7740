// The VM the cgroup v2 + systemd suite boots: Debian 12 from debootstrap, systemd as PID 1 on the
// unified hierarchy, and a unit that runs the script the host leaves on a 9p share, then powers off.
// Built once into the test cache, keyed by everything that goes into it; a run boots a qcow2 overlay
// over it, so the image itself is never written.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CACHE = process.env.WASMTS_TEST_CACHE || '/var/cache/wasmts-test';
const SUITE = 'bookworm';
// containerd comes from the host's test cache, not from Debian: the VM needs only what runs it.
const PACKAGES = ['systemd-sysv', 'udev', 'dbus', 'kmod', 'procps', 'linux-image-amd64', 'runc', 'containernetworking-plugins', 'iproute2', 'util-linux', 'mount'];
// virtio-blk on q35's PCI, the root filesystem, the 9p shares.
const INITRD_MODULES = ['virtio_pci', 'virtio_blk', 'ext4'];
const DISK_SIZE = '4G';

// Runs in the VM as PID 1 before the real root: Debian's own initrd takes minutes under emulation.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r module; do insmod "/modules/$module" 2>/dev/null; done < /modules/order
for i in $(seq 1 300); do [ -b /dev/vda ] && break; sleep 0.1; done
mkdir -p /root && mount -t ext4 -o rw /dev/vda /root || { echo "wasmts-vm: no root disk"; poweroff -f; }
umount /proc /sys
exec switch_root /root /sbin/init
`;

// The run script sits on the 9p share "out"; its output and status go back there for the host.
const RUN = `#!/bin/sh
modprobe -a 9p 9pnet_virtio
mkdir -p /run/wasmts-vm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576 out /run/wasmts-vm
sh /run/wasmts-vm/run.sh > /run/wasmts-vm/output.log 2>&1
echo $? > /run/wasmts-vm/status.tmp && mv /run/wasmts-vm/status.tmp /run/wasmts-vm/status
sync
umount /run/wasmts-vm
systemctl poweroff --no-block
`;

const UNIT = `[Unit]
Description=wasmts test run (the script the host left on the 9p share)
After=multi-user.target dbus.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/wasmts-vm-run
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
`;

// Timers and units that only slow a throwaway VM's boot down, or write to a disk that is discarded.
const MASKED = ['apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'fstrim.timer', 'systemd-timesyncd.service', 'serial-getty@ttyS0.service', 'getty@tty1.service', 'systemd-networkd-wait-online.service'];

export interface VmImage {
  disk: string;
  kernel: string;
  initrd: string;
}

function mirror(): string {
  const sources = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(sources)) {
    const uri = /^URIs:\s*(\S+)/m.exec(readFileSync(sources, 'utf8'))?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

export function imageKey(): string {
  return createHash('sha256').update(JSON.stringify({ SUITE, PACKAGES, INITRD_MODULES, DISK_SIZE, INIT, RUN, UNIT, MASKED })).digest('hex').slice(0, 16);
}

function need(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} is missing: apt-get install ${pkg} (make setup installs it)`);
  }
}

// The modules the initrd loads, with their dependencies first, as the image's own kmod orders them.
function initrdModules(rootfs: string, kernelVersion: string, into: string): void {
  const order: string[] = [];
  for (const module of INITRD_MODULES) {
    const lines = execFileSync('chroot', [rootfs, 'modprobe', '-S', kernelVersion, '--show-depends', module], { encoding: 'utf8' }).split('\n');
    for (const line of lines) {
      const path = /^insmod (\S+)/.exec(line)?.[1];
      if (!path) continue;
      const name = path.split('/').pop()!;
      if (order.includes(name)) continue;
      // Debian ships modules compressed; busybox insmod takes them as they are after xz -d.
      const target = join(into, name.replace(/\.xz$/, ''));
      execFileSync('sh', ['-c', path.endsWith('.xz') ? `xz -dc '${join(rootfs, path)}' > '${target}'` : `cp '${join(rootfs, path)}' '${target}'`]);
      order.push(name.replace(/\.xz$/, ''));
    }
  }
  writeFileSync(join(into, 'order'), order.join('\n') + '\n');
}

function buildInitrd(rootfs: string, kernelVersion: string, out: string): void {
  const dir = `${out}.d`;
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ['bin', 'dev', 'proc', 'sys', 'modules']) mkdirSync(join(dir, sub), { recursive: true });
  execFileSync('cp', ['/bin/busybox', join(dir, 'bin/busybox')]);
  writeFileSync(join(dir, 'init'), INIT);
  chmodSync(join(dir, 'init'), 0o755);
  initrdModules(rootfs, kernelVersion, join(dir, 'modules'));
  execFileSync('sh', ['-c', `cd '${dir}' && find . | cpio -o -H newc --quiet | gzip -1 > '${out}'`]);
  rmSync(dir, { recursive: true, force: true });
}

function configure(rootfs: string): void {
  writeFileSync(join(rootfs, 'etc/hostname'), 'wasmts-vm\n');
  writeFileSync(join(rootfs, 'etc/fstab'), '');
  writeFileSync(join(rootfs, 'usr/local/sbin/wasmts-vm-run'), RUN);
  chmodSync(join(rootfs, 'usr/local/sbin/wasmts-vm-run'), 0o755);
  writeFileSync(join(rootfs, 'etc/systemd/system/wasmts-vm.service'), UNIT);
  const wants = join(rootfs, 'etc/systemd/system/multi-user.target.wants');
  mkdirSync(wants, { recursive: true });
  symlinkSync('/etc/systemd/system/wasmts-vm.service', join(wants, 'wasmts-vm.service'));
  for (const unit of MASKED) {
    rmSync(join(rootfs, 'etc/systemd/system', unit), { force: true });
    symlinkSync('/dev/null', join(rootfs, 'etc/systemd/system', unit));
  }
}

// Returns the cached image, building it first when it is missing (2-3 minutes, mostly debootstrap).
export function vmImage(log: (line: string) => void = console.log): VmImage {
  const dir = join(CACHE, `vm-${imageKey()}`);
  const image = { disk: join(dir, 'disk.img'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
  if (existsSync(join(dir, 'ready'))) return image;
  for (const [tool, pkg] of [['debootstrap', 'debootstrap'], ['qemu-system-x86_64', 'qemu-system-x86'], ['qemu-img', 'qemu-utils'], ['mkfs.ext4', 'e2fsprogs'], ['cpio', 'cpio']] as const) need(tool, pkg);
  if (!existsSync('/bin/busybox')) throw new Error('/bin/busybox is missing: apt-get install busybox-static (make setup installs it)');
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const rootfs = join(staging, 'rootfs');
    log(`vm: building the image (debootstrap ${SUITE}, once; cached in ${dir})`);
    execFileSync('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, rootfs, mirror()], { stdio: ['ignore', 'ignore', 'pipe'] });
    configure(rootfs);
    const kernelVersion = readdirSync(join(rootfs, 'lib/modules'))[0];
    if (!kernelVersion) throw new Error('debootstrap installed no kernel');
    execFileSync('cp', [join(rootfs, `boot/vmlinuz-${kernelVersion}`), join(staging, 'vmlinuz')]);
    buildInitrd(rootfs, kernelVersion, join(staging, 'initrd.img'));
    execFileSync('mkfs.ext4', ['-q', '-L', 'wasmts-vm', '-d', rootfs, join(staging, 'disk.img'), DISK_SIZE]);
    rmSync(rootfs, { recursive: true, force: true });
    writeFileSync(join(staging, 'ready'), `${kernelVersion}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  // Images of older keys are dead weight of 1 GB each.
  for (const name of readdirSync(CACHE)) {
    if (name.startsWith('vm-') && name !== `vm-${imageKey()}` && !name.endsWith('.tmp')) rmSync(join(CACHE, name), { recursive: true, force: true });
  }
  return image;
}
