// `serve`: the long-lived shim process of the node's wasm tasks (or of one pod: address.ts). It
// takes over the socket `start` bound, tells `start` it is ready before loading anything heavy, then
// loads the task service; containerd's first request waits in the socket meanwhile. This keeps the
// daemon's start-up off `start`'s path.
import { closeSync, writeSync } from 'node:fs';
import net from 'node:net';
import type { ShimFlags } from './flags.ts';

const READY_FD = 3;
// The socket `start` bound for this daemon.
export const LISTEN_FD = 4;

function tellStarter(word: string): void {
  try {
    writeSync(READY_FD, word);
    closeSync(READY_FD);
  } catch {
    // Started by hand, without a ready pipe.
  }
}

export async function serve(flags: ShimFlags, version: string): Promise<void> {
  if (!flags.socket || !flags.bundle) {
    tellStarter('serve needs -socket and -bundle (start passes them)\n');
    process.exit(1);
  }
  const early: net.Socket[] = [];
  const server = net.createServer((socket) => early.push(socket));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd: LISTEN_FD }, resolve);
    });
  } catch (error) {
    tellStarter(`cannot serve the socket start bound (${flags.socket}, fd ${LISTEN_FD}): ${(error as Error).message}\n`);
    process.exit(1);
  }
  tellStarter('ok\n');
  const { startServices } = await import('./daemon-services.ts');
  await startServices(flags, version, server, early);
}
