// `start`: find or spawn the daemon of this task's group, print its address in the form this
// containerd takes (params.ts), exit.
import type net from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readSpec } from '../../oci/spec.ts';
import { groupOf, socketPath } from '../address.ts';
import { answers } from '../socket-probe.ts';
import type { ShimFlags } from '../flags.ts';
import { selfCommand } from '../self.ts';
import { encodeStartReply, parseBootstrapParams, replyKind, type StartReply } from './params.ts';
import { pipedStdin } from './stdin.ts';
import { fileError } from '../write-file.ts';

const READY_TIMEOUT_MS = 10_000;

// child_process is loaded only here: for every container after a pod's first, the daemon exists and
// `start` just prints its address (containerd runs `start` once per container).
// Resolves with the daemon's pid once it listens.
async function spawnDaemon(flags: ShimFlags, group: string, bundle: string, socket: string): Promise<number> {
  const { spawn } = await import('node:child_process');
  const self = selfCommand();
  const args = [...self.args, '-namespace', flags.namespace, '-address', flags.address, '-publish-binary', flags.publishBinary,
    '-id', group, '-bundle', bundle, '-socket', socket, ...(flags.debug ? ['-debug'] : []), 'serve'];
  const child = spawn(self.file, args, { detached: true, cwd: '/', stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      void rm(socket, { force: true }).finally(() => reject(new Error(`the shim daemon did not get ready in ${READY_TIMEOUT_MS} ms`)));
    }, READY_TIMEOUT_MS);
    const ready = child.stdio[3] as NodeJS.ReadableStream;
    ready.on('data', (chunk: Buffer) => (said += chunk.toString()));
    ready.on('end', () => {
      clearTimeout(timer);
      if (said.startsWith('ok')) {
        child.unref();
        (ready as unknown as net.Socket).destroy();
        resolve(child.pid!);
      } else {
        // A daemon that said something else may still run, or have made its socket.
        child.kill('SIGKILL');
        void rm(socket, { force: true }).finally(() => reject(new Error(`the shim daemon failed to start: ${said.trim() || 'it exited without a word'}`)));
      }
    });
    child.on('error', (error) => (clearTimeout(timer), reject(error)));
  });
}

export async function startCommand(flags: ShimFlags): Promise<void> {
  const params = parseBootstrapParams(pipedStdin(), flags.id);
  const namespace = flags.namespace || params?.namespace || '';
  const containerdAddress = flags.address || params?.grpcAddress || '';
  if (!flags.id || !namespace || !containerdAddress) throw new Error('start needs -id, -namespace and -address (containerd passes them)');
  if (params?.ttrpcAddress) process.env.TTRPC_ADDRESS = params.ttrpcAddress;
  const bundle = process.cwd();
  const spec = await readSpec(join(bundle, 'config.json'));
  const group = groupOf(flags.id, spec.annotations);
  const socket = socketPath(containerdAddress, namespace, group, params?.socketDir || undefined);
  const address = `unix://${socket}`;
  let reply: StartReply;
  let daemon: number | undefined;
  if (await answers(socket)) {
    // containerd runs `start` for a pod's later containers only when it does not reuse the pod's
    // connection: 1.6 and 1.7, which take the plain address (and refuse version 3).
    reply = params ? 'protobuf-v3' : 'plain';
  } else {
    await rm(socket, { force: true });
    await mkdir(dirname(socket), { recursive: true });
    const [pid, version] = await Promise.all([
      spawnDaemon({ ...flags, namespace, address: containerdAddress }, group, bundle, socket),
      params ? undefined : (await import('./containerd-version.ts')).askContainerdVersion(containerdAddress),
    ]);
    daemon = pid;
    reply = replyKind(params, version);
  }
  // containerd 1.x reads this file to reconnect after a restart (2.x writes bootstrap.json itself).
  try {
    await writeFile(join(bundle, 'address'), address);
  } catch (error) {
    // A failed `start` leaves no daemon behind: containerd will never know of it.
    if (daemon !== undefined) {
      try {
        process.kill(daemon, 'SIGKILL');
      } catch {
        // It died by itself: the socket may still be there.
      }
      await rm(socket, { force: true });
    }
    throw fileError(join(bundle, 'address'), error);
  }
  process.stdout.write(encodeStartReply(reply, address));
}
