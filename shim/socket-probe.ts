// Whether a shim daemon listens on a socket: the one question `start` and `delete` ask of it.
import net from 'node:net';

// Only these say that nobody listens. A daemon whose backlog is full (EAGAIN: a busy node, many pods
// starting at once) does listen: taken for dead, its socket would be replaced under its live pods.
const NOBODY = new Set(['ECONNREFUSED', 'ENOENT', 'ENOTSOCK', 'ENOTDIR']);

export const nobodyListens = (error: NodeJS.ErrnoException) => NOBODY.has(error.code ?? '');

export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(!nobodyListens(error)));
  });
}
