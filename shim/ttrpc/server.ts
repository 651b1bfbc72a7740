// Listens on a unix socket and serves every connection through the router.
import net from 'node:net';
import { serveConnection, type ServedConnection } from './connection.ts';
import type { Router } from './dispatch.ts';

// What a connection did: sent its first bytes, closed after speaking, or closed without a word (a
// probe: `start` asking whether a daemon listens).
export type PeerEvent = 'spoke' | 'closed' | 'probed';

export class TtrpcServer {
  readonly #server: net.Server;
  readonly #sockets = new Map<net.Socket, ServedConnection>();

  readonly #router: Router;
  readonly #onError: (error: Error) => void;
  readonly #peers = new Set<(event: PeerEvent) => void>();
  #accepted = 0;

  // `listener` is a server that may already listen (the daemon listens before it loads this).
  constructor(router: Router, onError: (error: Error) => void, listener = net.createServer()) {
    this.#router = router;
    this.#onError = onError;
    this.#server = listener;
    this.#server.removeAllListeners('connection');
    this.#server.on('connection', (socket) => this.serve(socket));
  }

  serve(socket: net.Socket): void {
    this.#accepted++;
    let spoke = false;
    const tell = (event: PeerEvent) => {
      for (const listener of this.#peers) listener(event);
    };
    socket.once('data', () => {
      spoke = true;
      tell('spoke');
    });
    socket.on('close', () => {
      this.#sockets.delete(socket);
      tell(spoke ? 'closed' : 'probed');
    });
    this.#sockets.set(socket, serveConnection(socket, this.#router, this.#onError));
  }

  get connections(): number {
    return this.#sockets.size;
  }

  // Connections accepted since this server started: a change tells of a peer, however brief.
  get accepted(): number {
    return this.#accepted;
  }

  onPeer(listener: (event: PeerEvent) => void): void {
    this.#peers.add(listener);
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

  // No new connections; those open go on being served.
  stopAccepting(): void {
    if (this.#server.listening) this.#server.close();
  }

  // Stops listening, answers every call already received (up to `settleMs`), then ends every
  // connection once its replies are written; the peer need not close its side (containerd keeps it open).
  async close(settleMs = 10_000, graceMs = 200): Promise<void> {
    this.stopAccepting();
    const settled = [...this.#sockets.values()].map((connection) => connection.settled());
    await Promise.race([Promise.all(settled), new Promise((resolve) => setTimeout(resolve, settleMs).unref())]);
    const flushed = [...this.#sockets.keys()].map((socket) => new Promise<void>((resolve) => {
      socket.end(() => resolve());
      setTimeout(resolve, graceMs).unref();
    }));
    await Promise.all(flushed);
    for (const socket of this.#sockets.keys()) socket.destroy();
  }
}
