// The daemon's services, loaded once its socket listens: task calls from containerd, tasks run with
// runc, events published; the process exits when idle (daemon-lifetime.ts).
import { readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { removeSocket } from './address.ts';
import type net from 'node:net';
import { join } from 'node:path';
import { runnerFilesFromMaps, type RunnerFiles } from '../oci/rewrite.ts';
import { runcRoot } from './runc-root.ts';
import { createRuncContainer } from './container/runc-container.ts';
import { ComponentCache } from './container/component-cache.ts';
import { EventPublisher } from './events/publisher.ts';
import { ttrpcTransport } from './events/ttrpc-transport.ts';
import type { ShimFlags } from './flags.ts';
import { createLogger, LogRoutes } from './log.ts';
import { DaemonLifetime } from './daemon-lifetime.ts';
import { taskRouter } from './task/adapter.ts';
import { TaskService } from './task/service.ts';
import { TtrpcServer } from './ttrpc/server.ts';
import { withSocketLock } from './socket-lock.ts';

// Guests read from images' layers, by digest, shared by every pod of the node.
const DEFAULT_LAYER_CACHE = '/var/lib/wasmts/layers';
// Components as the runner loads them (transpiled), by digest and jco version, node-wide.
const DEFAULT_COMPONENT_CACHE = '/var/lib/wasmts/components';
const DEFAULT_COMPONENT_CACHE_MB = 2048;
// How long Shutdown waits for the last spans to reach the collector.
const TRACE_FLUSH_MS = 5_000;
// A `start` that found this daemon prints its address, and containerd connects within milliseconds;
// this is the margin for a loaded node. Only an idle daemon waits it out.
const PROBE_RESERVE_MS = 10_000;
// A daemon's start-up was its largest cost per short task (~200 ms of CPU of ~410 for a ctr run of
// hello, process accounting beside scripts/bench-tasks.ts): an idle daemon waits this long for the
// next task.
const IDLE_LINGER_MS = 5_000;

export async function startServices(flags: ShimFlags, version: string, listener: net.Server, early: net.Socket[]): Promise<void> {
  const logs = new LogRoutes(join(flags.bundle, 'log'));
  // The socket `start` bound and renamed into place for this daemon, as it is now: the path is ours
  // only while it names this inode.
  const socketInode = statSync(flags.socket, { throwIfNoEntry: false })?.ino;
  const log = createLogger(logs.sink, flags.debug, { runtime: 'io.containerd.wasmts.v1', group: flags.id });
  // Tracing is loaded only when an OTLP endpoint is set (in containerd's environment, which shims
  // inherit), and before the first call is read, so that the pod's first Create is traced too.
  const tracing = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? await (await import('./tracing/start.ts')).startTracing(process.env, version, log, { 'containerd.shim.group': flags.id, 'containerd.namespace': flags.namespace })
      .catch((error: Error) => void log.warn('tracing is off', { error: error.message }))
    : undefined;
  const ttrpcAddress = process.env.TTRPC_ADDRESS || `${flags.address}.ttrpc`;
  const events = new EventPublisher({ namespace: flags.namespace, transport: ttrpcTransport(ttrpcAddress), log });
  let runner: RunnerFiles | undefined;
  const runnerFiles = () => (runner ??= runnerFilesFromMaps(readFileSync('/proc/self/maps', 'utf8'), process.execPath));
  const root = runcRoot(flags.namespace);
  const components = new ComponentCache({
    root: process.env.WASMTS_COMPONENT_CACHE || DEFAULT_COMPONENT_CACHE,
    maxBytes: (Number(process.env.WASMTS_COMPONENT_CACHE_MB) || DEFAULT_COMPONENT_CACHE_MB) * 2 ** 20,
    log,
  });
  // No new connection or task from here: a `start` that finds no socket spawns a new daemon. The
  // socket is removed and the listener closed under the socket's lock: while this daemon listens the
  // path is its own (`start` replaces only a socket that does not answer), and removed later it could
  // be the next daemon's. A listener on an inherited descriptor never unlinks its path itself. Under
  // the lock no `start` probes, so a connection accepted since the daemon decided (`acceptedThen`)
  // calls the exit off. Tasks go next (Shutdown with `now`), so that their Waits are answered before
  // the connections close.
  const shutdown = async (acceptedThen?: number): Promise<boolean> => {
    const exiting = await withSocketLock(flags.socket, async () => {
      if (acceptedThen !== undefined && server.accepted !== acceptedThen) return false;
      service.refuseNewTasks();
      // A `start` that found this daemon unreachable has put a new daemon's socket at the path.
      if ((await stat(flags.socket).catch(() => undefined))?.ino === socketInode) await removeSocket(flags.socket);
      server.stopAccepting();
      return true;
    }).catch((error: Error) => {
      log.warn('removing the socket failed', { socket: flags.socket, error: error.message });
      service.refuseNewTasks();
      return true;
    });
    if (!exiting) return false;
    log.info('shutting down');
    server.stopAccepting();
    await service.cleanupAll();
    await server.close();
    await events.drain();
    await tracing?.shutdown(TRACE_FLUSH_MS);
    process.exit(0);
  };
  const service = new TaskService({
    createContainer: (request) => {
      lifetime.taskCreated();
      logs.open(request.id, join(request.bundle, 'log'));
      return createRuncContainer(request, {
        runcRoot: root,
        runner: runnerFiles,
        log,
        containerd: { socket: flags.address, namespace: flags.namespace },
        layerCache: process.env.WASMTS_LAYER_CACHE || DEFAULT_LAYER_CACHE,
        components,
      }).catch((error: Error) => {
        logs.close(request.id);
        throw error;
      });
    },
    events,
    log,
    version,
    onDeleted: (id) => {
      logs.close(id);
      if (service.size === 0) log.debug('no task left; waiting for Shutdown');
    },
  });
  process.on('uncaughtException', (error) => log.error('unexpected error', { error: error.stack ?? error.message }));
  process.on('unhandledRejection', (error) => log.error('unexpected rejection', { error: String(error) }));
  const onShutdown = (now: boolean) => (now ? void shutdown() : lifetime.shutdownAsked());
  const server = new TtrpcServer(taskRouter(service, onShutdown), (error) => log.error('ttrpc connection error', { error: error.message }), listener);
  const lifetime = new DaemonLifetime({
    tasks: () => service.size,
    connections: () => server.connections,
    accepted: () => server.accepted,
    exit: shutdown,
    reserveMs: PROBE_RESERVE_MS,
    lingerMs: IDLE_LINGER_MS,
  });
  server.onPeer((event) => lifetime.peer(event));
  for (const socket of early.splice(0)) server.serve(socket);
  log.info('serving', { socket: flags.socket, pid: process.pid });
}
