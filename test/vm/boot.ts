// Boots the test VM under qemu (software emulation: /dev/kvm here does not boot a stock kernel) over a
// throwaway overlay, runs one script in it with host directories shared over 9p at the same paths,
// and returns what the script printed and its exit status. A VM that does not finish in time is killed.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VmImage } from './image.ts';

export interface Share {
  path: string;
  readonly: boolean;
}

export interface VmRunOptions {
  image: VmImage;
  // Runs as root in the VM, with /bin/sh, after the shares are mounted at their host paths.
  script: string;
  shares: Share[];
  timeoutMs: number;
  memoryMb?: number;
  // Called with each new piece of the script's output while the VM runs.
  onOutput?: (text: string) => void;
}

export interface VmRun {
  // The script's exit status; undefined when the VM ended without one (it failed to boot, or was killed).
  status: number | undefined;
  output: string;
  // The last lines of the VM's serial console: the kernel's and systemd's view, for a failure.
  consoleTail: string;
  timedOut: boolean;
}

const tag = (index: number) => `share${index}`;

function mountScript(shares: Share[]): string {
  return shares.map((share, i) => `mkdir -p '${share.path}' && mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576${share.readonly ? ',ro' : ''} ${tag(i)} '${share.path}' || exit 90`).join('\n');
}

export async function runInVm(options: VmRunOptions): Promise<VmRun> {
  const work = mkdtempSync('/tmp/wasmts-vm-');
  const out = join(work, 'out');
  mkdirSync(out);
  writeFileSync(join(out, 'run.sh'), `${mountScript(options.shares)}\n${options.script}\n`);
  const overlay = join(work, 'overlay.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', options.image.disk, overlay]);
  const consolePath = join(work, 'console.log');
  const consoleFd = openSync(consolePath, 'w');
  const args = [
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-machine', 'q35', '-m', String(options.memoryMb ?? 3072), '-smp', '2',
    '-nographic', '-no-reboot', '-kernel', options.image.kernel, '-initrd', options.image.initrd,
    '-append', 'root=/dev/vda rw console=ttyS0 quiet systemd.unified_cgroup_hierarchy=1 panic=-1',
    '-drive', `file=${overlay},if=virtio,format=qcow2,cache=unsafe`,
    '-virtfs', `local,path=${out},mount_tag=out,security_model=passthrough,id=out`,
    ...options.shares.flatMap((share, i) => ['-virtfs', `local,path=${share.path},mount_tag=${tag(i)},security_model=passthrough,id=${tag(i)}${share.readonly ? ',readonly=on' : ''}`]),
    '-nic', 'none',
  ];
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', consoleFd, consoleFd] });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    qemu.kill('SIGKILL');
  }, options.timeoutMs);
  const outputPath = join(out, 'output.log');
  let shown = 0;
  const follow = setInterval(() => {
    if (!options.onOutput || !existsSync(outputPath)) return;
    const text = readFileSync(outputPath, 'utf8');
    if (text.length > shown) options.onOutput(text.slice(shown));
    shown = text.length;
  }, 1000);
  try {
    await new Promise<void>((resolve, reject) => {
      qemu.once('error', (error) => reject(new Error(`qemu-system-x86_64 did not start (apt-get install qemu-system-x86): ${error.message}`)));
      qemu.once('exit', () => resolve());
    });
  } finally {
    clearTimeout(timer);
    clearInterval(follow);
    closeSync(consoleFd);
  }
  const output = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : '';
  if (options.onOutput && output.length > shown) options.onOutput(output.slice(shown));
  const statusPath = join(out, 'status');
  const status = existsSync(statusPath) ? Number(readFileSync(statusPath, 'utf8').trim()) : undefined;
  const consoleTail = readFileSync(consolePath, 'utf8').split('\n').slice(-40).join('\n');
  rmSync(work, { recursive: true, force: true });
  return { status, output, consoleTail, timedOut };
}
