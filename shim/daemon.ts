// `serve`: the long-lived shim process of one group. Listens for containerd's task calls, runs tasks
// with runc, publishes events, and exits when containerd shuts it down with no task left.
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runnerFilesFromMaps, type RunnerFiles } from '../oci/rewrite.ts';
import { runcRoot } from './runc-root.ts';
import { createRuncContainer } from './container/runc-container.ts';
import { EventPublisher } from './events/publisher.ts';
import { ttrpcTransport } from './events/ttrpc-transport.ts';
import type { ShimFlags } from './flags.ts';
import { createLogger, fifoSink } from './log.ts';
import { taskRouter } from './task/adapter.ts';
import { TaskService } from './task/service.ts';
import { TtrpcServer } from './ttrpc/server.ts';

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
  const log = createLogger(fifoSink(join(flags.bundle, 'log')), flags.debug, { runtime: 'io.containerd.wasmts.v1', group: flags.id });
  try {
    if (!flags.socket || !flags.bundle) throw new Error('serve needs -socket and -bundle (start passes them)');
    const ttrpcAddress = process.env.TTRPC_ADDRESS || `${flags.address}.ttrpc`;
    const events = new EventPublisher({ namespace: flags.namespace, transport: ttrpcTransport(ttrpcAddress), log });
    let runner: RunnerFiles | undefined;
    const runnerFiles = () => (runner ??= runnerFilesFromMaps(readFileSync('/proc/self/maps', 'utf8'), process.execPath));
    const root = runcRoot(flags.namespace);
    let server: TtrpcServer | undefined;
    const shutdown = async () => {
      log.info('shutting down');
      await server?.close();
      await events.drain();
      await rm(flags.socket, { force: true });
      process.exit(0);
    };
    const service = new TaskService({
      createContainer: (request) => createRuncContainer(request, { runcRoot: root, runner: runnerFiles, log }),
      events,
      log,
      version,
      onEmpty: () => log.debug('no task left; waiting for Shutdown'),
    });
    server = new TtrpcServer(taskRouter(service, () => void shutdown()), (error) => log.error('ttrpc connection error', { error: error.message }));
    process.on('uncaughtException', (error) => log.error('unexpected error', { error: error.stack ?? error.message }));
    process.on('unhandledRejection', (error) => log.error('unexpected rejection', { error: String(error) }));
    await server.listen(flags.socket);
    log.info('serving', { socket: flags.socket, pid: process.pid });
    tellStarter('ok\n');
  } catch (error) {
    log.error('the shim daemon cannot start', { error: (error as Error).message });
    tellStarter(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
