// Listens on a unix socket and serves every connection through the router.
import net from 'node:net';
import { serveConnection } from './connection.ts';
import type { Router } from './dispatch.ts';

export class TtrpcServer {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  readonly #router: Router;
  readonly #onError: (error: Error) => void;

  // `listener` is a server that may already listen (the daemon listens before it loads this).
  constructor(router: Router, onError: (error: Error) => void, listener = net.createServer()) {
    this.#router = router;
    this.#onError = onError;
    this.#server = listener;
    this.#server.removeAllListeners('connection');
    this.#server.on('connection', (socket) => this.serve(socket));
  }

  serve(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    serveConnection(socket, this.#router, this.#onError);
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(path, () => {
        this.#server.removeListener('error', reject);
        resolve();
      });
    });
  }

  // Stops listening and ends every connection once its pending replies are written; the peer need not
  // close its side (containerd keeps it open).
  async close(graceMs = 200): Promise<void> {
    this.#server.close();
    const flushed = [...this.#sockets].map((socket) => new Promise<void>((resolve) => {
      socket.end(() => resolve());
      setTimeout(resolve, graceMs).unref();
    }));
    await Promise.all(flushed);
    for (const socket of this.#sockets) socket.destroy();
  }
}
