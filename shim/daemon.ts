// `serve`: the long-lived shim process of one group. It listens before loading anything heavy, tells
// `start` it is ready, then loads the task service; containerd's first request waits in the socket
// meanwhile. This keeps the daemon's start-up off the path of every `start`.
import { closeSync, writeSync } from 'node:fs';
import net from 'node:net';
import type { ShimFlags } from './flags.ts';

const READY_FD = 3;

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
      server.listen(flags.socket, resolve);
    });
  } catch (error) {
    tellStarter(`cannot listen on ${flags.socket}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  tellStarter('ok\n');
  const { startServices } = await import('./daemon-services.ts');
  startServices(flags, version, server, early);
}
