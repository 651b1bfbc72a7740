// One process at a time may replace or remove a daemon's socket: `start` binding a new one, a daemon
// removing its own on the way out. The lock is an abstract unix socket named for the path: the
// kernel frees it when its holder exits, however that happens, so a lock is never left behind.
import { nameHash } from './name-hash.ts';
import net from 'node:net';

const RETRY_MS = 5;
// The holder's work is a probe, a bind and a spawn: a lock held this long is held by a stuck process.
const WAIT_MS = 15_000;

const lockName = (socket: string) => `\0wasmts-socket-lock-${nameHash(socket)}`;

function tryListen(name: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((connection) => connection.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen(name, () => resolve(server));
  });
}

export async function withSocketLock<T>(socket: string, work: () => Promise<T>): Promise<T> {
  const name = lockName(socket);
  const deadline = Date.now() + WAIT_MS;
  let lock: net.Server | undefined;
  while (!(lock = await tryListen(name))) {
    if (Date.now() > deadline) throw new Error(`another shim process has held the lock of ${socket} for ${WAIT_MS / 1000} s: look for a stuck containerd-shim-wasmts-v1 process`);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  try {
    return await work();
  } finally {
    lock.close();
  }
}
