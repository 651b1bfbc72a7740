// `start`: find or spawn the daemon of this task's group, print its address in the form this
// containerd takes (params.ts), exit.
import net from 'node:net';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readSpec } from '../../oci/spec.ts';
import { containerdVersionFile, daemonGroup, daemonScope, removeSocket, socketPath } from '../address.ts';
import { answers } from '../socket-probe.ts';
import type { ShimFlags } from '../flags.ts';
import { selfCommand } from '../self.ts';
import { encodeStartReply, parseBootstrapParams, replyKind } from './params.ts';
import { pipedStdin } from './stdin.ts';
import { fileError } from '../write-file.ts';
import { withSocketLock } from '../socket-lock.ts';
import { LISTEN_FD } from '../daemon.ts';

// How long `start` waits to hear that the daemon serves: long enough to hear of a daemon that failed
// at once, and to pass its reason on. A daemon still silent after it (a slow node: measured over
// 10 s under emulation) is left to come up: the socket is bound, containerd's calls wait in it.
const READY_WAIT_MS = 5_000;

// One daemon serves a node's pods, and a burst of them (pods started 10 at a time) grew its young
// generation to Node's default cap and kept it: measured with 50 sleeping pods, 1.09 MB of PSS per pod
// for the daemon against 0.88-0.89 with this cap, twice each, 12.5 against 12.2-12.3 MB per pod in
// all (BENCH_CONTAINERD=2.3 node scripts/bench-pods.ts). Given on the daemon's command line alone,
// so no other process of the shim, nor the runner, takes it.
export const DAEMON_NODE_OPTIONS = ['--max-semi-space-size=1'];

// The daemon's socket, bound here and handed over (as containerd's runc shim does): once `start`
// answers, containerd's connection waits in the socket's backlog, whenever the daemon gets to it. It
// is bound under a temporary name and renamed over the path, replacing a dead daemon's socket in one
// step; closing our copy then unlinks only that temporary name, which is gone.
function bindSocket(socket: string): Promise<net.Server> {
  const temporary = `${socket}.${process.pid}`;
  return new Promise((resolve, reject) => {
    // Only a probe of another `start` can connect before we close it: containerd has no address yet.
    const server = net.createServer((probe) => probe.destroy());
    server.once('error', reject);
    server.listen(temporary, () => {
      rename(temporary, socket).then(() => resolve(server), (error: Error) => (server.close(), reject(error)));
    });
  });
}

// After our daemon failed: its socket goes, unless another `start` has replaced it meanwhile.
const removeDeadSocket = (socket: string) => withSocketLock(socket, async () => {
  if (!(await answers(socket))) await removeSocket(socket);
});

// The listening socket's descriptor, to be inherited by the daemon: Node has no public accessor.
const descriptorOf = (server: net.Server) => (server as unknown as { _handle: { fd: number } })._handle.fd;

interface SpawnedDaemon {
  ready: Promise<void>;
  // Kills the daemon, and once it is gone (its copy of the socket closed with it), removes the socket.
  abandon(): Promise<void>;
}

// child_process is loaded only here: for every container after a pod's first, the daemon exists and
// `start` just prints its address (containerd runs `start` once per container).
async function spawnDaemon(flags: ShimFlags, group: string, bundle: string, socket: string): Promise<SpawnedDaemon> {
  const { spawn } = await import('node:child_process');
  const self = selfCommand(DAEMON_NODE_OPTIONS);
  const args = [...self.args, '-namespace', flags.namespace, '-address', flags.address, '-publish-binary', flags.publishBinary,
    '-id', group, '-bundle', bundle, '-socket', socket, ...(flags.debug ? ['-debug'] : []), 'serve'];
  const listener = await bindSocket(socket);
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'ignore', 'ignore', 'pipe'];
  stdio[LISTEN_FD] = descriptorOf(listener);
  let child;
  try {
    child = spawn(self.file, args, { detached: true, cwd: '/', stdio });
  } catch (error) {
    await removeSocket(socket);
    throw error;
  } finally {
    listener.close();
  }
  const abandon = async () => {
    // A SIGKILLed daemon's listening socket still accepts until the kernel has reaped it: only then
    // does the socket stop answering, and only a socket that does not answer is removed.
    child.ref();
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    await removeDeadSocket(socket);
  };
  const ready = new Promise<void>((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => {
      child.unref();
      (readyPipe as unknown as net.Socket).destroy();
      resolve();
    }, READY_WAIT_MS);
    const readyPipe = child.stdio[3] as NodeJS.ReadableStream;
    readyPipe.on('data', (chunk: Buffer) => (said += chunk.toString()));
    readyPipe.on('end', () => {
      clearTimeout(timer);
      if (said.startsWith('ok')) {
        child.unref();
        (readyPipe as unknown as net.Socket).destroy();
        resolve();
      } else {
        // A daemon that said something else may still run.
        void abandon().finally(() => reject(new Error(`the shim daemon failed to start: ${said.trim() || 'it exited without a word'}`)));
      }
    });
    child.on('error', (error) => (clearTimeout(timer), reject(error)));
  });
  return { ready, abandon };
}

// The node's daemon lives as long as any wasm pod does. A new binary (an upgrade: `install` renames
// it into place, a new inode), or containerd restarted with other settings for its shims (the OTEL_
// and WASMTS_ variables the daemon reads), gets a daemon of its own for the pods started from then
// on, rather than the old daemon's code or settings; the old one ends with its last pod.
async function daemonIdentity(env: NodeJS.ProcessEnv): Promise<string> {
  const { ino, mtimeMs } = await stat(selfCommand().file);
  const settings = Object.entries(env).filter(([key]) => /^(OTEL_|WASMTS_)/.test(key)).sort(([a], [b]) => (a < b ? -1 : 1));
  return `${ino}-${mtimeMs}/${JSON.stringify(settings)}`;
}

export async function startCommand(flags: ShimFlags): Promise<void> {
  const params = parseBootstrapParams(pipedStdin(), flags.id);
  const namespace = flags.namespace || params?.namespace || '';
  const containerdAddress = flags.address || params?.grpcAddress || '';
  if (!flags.id || !namespace || !containerdAddress) throw new Error('start needs -id, -namespace and -address (containerd passes them)');
  if (params?.ttrpcAddress) process.env.TTRPC_ADDRESS = params.ttrpcAddress;
  const bundle = process.cwd();
  const spec = await readSpec(join(bundle, 'config.json'));
  const group = daemonGroup(daemonScope(process.env.WASMTS_DAEMON), flags.id, spec.annotations);
  const socket = socketPath(containerdAddress, namespace, `${group}/${await daemonIdentity(process.env)}`, params?.socketDir || undefined);
  const address = `unix://${socket}`;
  await mkdir(dirname(socket), { recursive: true });
  // Concurrent `start`s of one group: the first binds and spawns, the others find its socket.
  const spawned = await withSocketLock(socket, async () => {
    if (await answers(socket)) return undefined;
    return spawnDaemon({ ...flags, namespace, address: containerdAddress }, group, bundle, socket);
  });
  // A daemon found serves other pods: this containerd's reply kind is asked all the same (2.0 and 2.1
  // send no BootstrapParams, and take version 3 only as JSON).
  const [, version] = await Promise.all([
    spawned?.ready,
    params ? undefined : import('./containerd-version.ts').then((asker) => asker.knownContainerdVersion(containerdVersionFile(socket), () => asker.askContainerdVersion(containerdAddress))),
  ]);
  const reply = replyKind(params, version);
  // containerd 1.x reads this file to reconnect after a restart (2.x writes bootstrap.json itself).
  try {
    await writeFile(join(bundle, 'address'), address);
  } catch (error) {
    // A failed `start` leaves no daemon behind: containerd will never know of it.
    await spawned?.abandon();
    throw fileError(join(bundle, 'address'), error);
  }
  process.stdout.write(encodeStartReply(reply, address));
}
