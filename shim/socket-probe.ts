// Whether a shim daemon listens on a socket: the one question `start` and `delete` ask of it.
import net from 'node:net';

export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
