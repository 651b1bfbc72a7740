// A task's container as runc runs it: the bundle prepared at Create (rootfs mounted, spec classified
// and, for wasm, rewritten to start our runner), `runc run` at Start, everything undone at cleanup.
import { readFileSync } from 'node:fs';
import { open, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { failedPrecondition, invalidArgument, notFound, unimplemented } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CreateTaskRequest } from '../protocol/gen/task_pb.ts';
import type { Container } from '../task/container.ts';
import { ClassifyError, classifyEntrypoint, kindOfHeader } from '../../oci/classify.ts';
import { rewriteForWasm, type RunnerFiles } from '../../oci/rewrite.ts';
import { readSpec, writeSpec, type OciSpec } from '../../oci/spec.ts';
import { cgroupDirs, cgroupPathOf, cgroupProcs, metricsAny, oomKills, type CgroupPath } from './cgroup.ts';
import { cgroupfsPath } from './cgroup-path.ts';
import { watchOomKills, type OomWatch } from './oom-watch.ts';
import { systemdCgroupOption } from './runtime-options.ts';
import { mountRootfs, unmountRootfs } from './mounts.ts';
import { removeRuncFiles } from './runc-files.ts';
import { createRuncExec } from './runc-exec.ts';
import { updateResources } from './resource-update.ts';
import { isGone, runcDelete, runcKillAll, runcRun, runcRunDetached, type RuncProcess, type RuncRunOptions } from './runc.ts';
import { openStdio, type OpenStdio } from './stdio.ts';
import { checkModuleFile } from './wasm-check.ts';
import { ComponentError, type ComponentCache } from './component-cache.ts';
import { componentEngine } from './component-engine.ts';
import { STATUS_FD, type Engine } from '../../runtime/guest.ts';
import { fileError, writeNamedFile } from '../write-file.ts';
import { planWasmSignal, reportedStatus, type SignalPlan } from './wasm-signals.ts';

const GUEST_FILE_NAME = 'wasmts-guest.json';
// Mounted read-only over files of the rootfs that the runner's loader would read (rewrite.ts).
const EMPTY_FILE_NAME = 'wasmts-empty';
const CLEANUP_WAIT_MS = 10_000;

export interface RuncContainerOptions {
  runcRoot: string;
  runner: () => RunnerFiles;
  log: Logger;
  // containerd's API, where images that carry the guest as a layer are read.
  containerd: { socket: string; namespace: string };
  layerCache: string;
  components: ComponentCache;
}

type Classification = Awaited<ReturnType<typeof classifyEntrypoint>> & { layerFile?: string };

// An entrypoint the rootfs does not have may be the image's wasm layer (a wasm OCI artifact has no
// files at all). Only then is containerd's content store asked: other images never pay for it.
async function classify(request: CreateTaskRequest, rootfs: string, spec: OciSpec, options: RuncContainerOptions): Promise<Classification> {
  try {
    return await classifyEntrypoint(rootfs, spec.process, spec.mounts);
  } catch (error) {
    if (!(error instanceof ClassifyError) || !error.notFound) throw error;
    const { imageGuest } = await import('../containerd/image-guest.ts');
    // A tar layer is read only when containerd left the rootfs empty (it did not unpack the image).
    const unpacked = (await readdir(rootfs).catch(() => [])).length > 0;
    const guest = await imageGuest({ ...options.containerd, containerId: request.id, cacheDir: options.layerCache, tarLayers: !unpacked }).catch((apiError: Error) => {
      // containerd's API out of reach says nothing about the image: the missing entrypoint stays the news.
      if ((apiError.cause as Error | undefined)?.name !== 'ContainerdApiError') throw apiError;
      throw new ClassifyError(`${error.message} (the image's layers could not be read either: ${apiError.message})`);
    });
    if (!guest) throw error;
    const handle = await open(guest.hostPath, 'r');
    const header = new Uint8Array(8);
    await handle.read(header, 0, 8, 0).finally(() => handle.close());
    const kind = kindOfHeader(header);
    if (kind !== 'wasm-module' && kind !== 'wasm-component') {
      throw new ClassifyError(`layer ${guest.layer.digest} of image ${guest.image} is not a WebAssembly module or component: rebuild the image with the .wasm file as its layer`);
    }
    options.log.info('guest taken from the image', { id: request.id, image: guest.image, layer: guest.layer.digest, cached: guest.cached });
    return { kind, path: `${guest.image}@${guest.layer.digest}`, hostPath: guest.hostPath, layerFile: guest.hostPath };
  }
}

// A module is compiled to check it; a component is transpiled (or found in the cache) and its
// exports pick the engine. Either way a guest the runner could not run fails here, at Create.
async function wasmEngine(classification: Classification, options: RuncContainerOptions): Promise<{ engine: Engine; componentDir?: string }> {
  const { hostPath, path } = classification as Classification & { hostPath: string };
  if (classification.kind === 'wasm-module') {
    await checkModuleFile(hostPath, path).catch((error: Error) => {
      throw invalidArgument(error.message);
    });
    return { engine: 'preview1' };
  }
  const component = await options.components.get(hostPath, path).catch((error: Error) => {
    if (error instanceof ComponentError) throw invalidArgument(error.message);
    // Not the user's component: a cache that cannot be written, a transpile process that cannot start.
    throw new Error(`cannot prepare ${path} in the component cache ${options.components.root}: ${error.message}: check that it is writable (WASMTS_COMPONENT_CACHE)`, { cause: error });
  });
  options.log.debug('component', { component: path, transpiled: component.transpiled, entry: component.dir });
  try {
    return { engine: componentEngine(component.manifest, path), componentDir: component.dir };
  } catch (error) {
    throw invalidArgument((error as Error).message);
  }
}

async function prepareBundle(request: CreateTaskRequest, rootfs: string, options: RuncContainerOptions): Promise<{ cgroupsPath: string; kind: string; engine?: Engine; terminal: boolean }> {
  const specPath = join(request.bundle, 'config.json');
  const spec = await readSpec(specPath).catch((error: Error) => {
    throw invalidArgument(error.message);
  });
  let classification: Classification;
  try {
    classification = await classify(request, rootfs, spec, options);
  } catch (error) {
    // The entrypoint and the image are the user's input: whatever stops us from reading them is
    // theirs to fix.
    const known = error instanceof ClassifyError || error instanceof Error && error.name === 'ImageSourceError';
    throw invalidArgument(known ? (error as Error).message : `cannot read the entrypoint: ${(error as Error).message}`);
  }
  // runc makes a terminal from the spec's process.terminal, which containerd sets with the request's.
  const terminal = spec.process?.terminal === true;
  let engine: Engine | undefined;
  if (classification.kind !== 'native') {
    if (terminal || request.terminal) throw invalidArgument(`${classification.path} is a WebAssembly guest, which wasmts runs without a terminal (tty): run it without -t / tty: true; a native sidecar of the pod can have one`);
    const chosen = await wasmEngine(classification, options);
    engine = chosen.engine;
    const { componentDir } = chosen;
    const guestFile = join(request.bundle, GUEST_FILE_NAME);
    const emptyFile = join(request.bundle, EMPTY_FILE_NAME);
    const rewritten = rewriteForWasm(spec, options.runner(), { engine, modulePath: classification.path, guestFile, emptyFile, layerFile: classification.layerFile, componentDir });
    await writeNamedFile(guestFile, JSON.stringify(rewritten.guest));
    await writeNamedFile(emptyFile, '');
    await writeSpec(specPath, rewritten.spec).catch((error: unknown) => {
      throw fileError(specPath, error);
    });
  }
  return { cgroupsPath: spec.linux?.cgroupsPath ?? '', kind: classification.kind, engine, terminal };
}

async function forgetContainer(root: string, id: string, cgroupsPath: CgroupPath): Promise<void> {
  await rm(join(root, id), { recursive: true, force: true });
  // A directory that still has processes (or was never made) stays.
  for (const dir of cgroupsPath ? cgroupDirs(cgroupsPath) : []) await rmdir(dir).catch(() => {});
}

export async function createRuncContainer(request: CreateTaskRequest, options: RuncContainerOptions): Promise<Container> {
  const { id, bundle } = request;
  if (request.checkpoint) throw unimplemented('restoring from a checkpoint is not supported by wasmts');
  const systemdCgroup = await systemdCgroupOption(request.options).catch((error: Error) => {
    throw invalidArgument(error.message);
  });
  const rootfs = join(bundle, 'rootfs');
  const mounted = request.rootfs.length > 0;
  if (mounted) await mountRootfs(request.rootfs.map((m) => ({ type: m.type, source: m.source, options: m.options })), rootfs);
  let prepared;
  let stdio: OpenStdio;
  try {
    prepared = await prepareBundle(request, rootfs, options);
    stdio = openStdio(request);
  } catch (error) {
    if (mounted) await unmountRootfs(rootfs);
    throw error;
  }
  options.log.debug('bundle prepared', { id, kind: prepared.kind, engine: prepared.engine, cgroup: prepared.cgroupsPath });
  // Where runc puts the cgroup, for stats, OOM and pids.
  const cgroupsPath = systemdCgroup ? cgroupfsPath(prepared.cgroupsPath) : cgroupPathOf(prepared.cgroupsPath, readFileSync('/proc/self/cgroup', 'utf8'));
  const wasm = prepared.kind !== 'native';
  let run: RuncProcess | undefined;
  let pid = 0;
  let cleaned = false;
  let pendingSignal: SignalPlan | undefined;
  let oomWatch: OomWatch | undefined;
  let runcStatus: number | undefined;
  // A SIGKILL of ours is no OOM, whatever the parent's count says (a sibling may have been the one).
  let signalled = false;
  let removal: Promise<void> | undefined;
  const removeContainer = () => runcDelete(options.runcRoot, bundle, id).catch((error: Error) => options.log.warn('runc delete failed', { id, error: error.message }));
  let resolveExited!: (status: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExited = resolve));

  return {
    exited,
    async start() {
      const { terminal } = prepared;
      const runOptions: RuncRunOptions = { root: options.runcRoot, id, bundle, systemdCgroup, terminal, stdio: [stdio.hasStdin ? 'pipe' : 'ignore', stdio.stdout ?? 'ignore', stdio.stderr ?? 'ignore'] };
      run = wasm ? runcRunDetached({ ...runOptions, statusFd: STATUS_FD }) : runcRun(runOptions);
      // With a terminal, stdin waits for the process to run (runc-exec.ts says why).
      if (run.stdin && !terminal) stdio.connectStdin(run.stdin);
      // runc holds its own copies of the output fds; ours would keep the FIFOs open past the exit.
      stdio.closeOutputs();
      void run.exited.then((status) => {
        runcStatus = status;
        resolveExited(reportedStatus(status, pendingSignal));
      });
      pid = await run.started;
      if (run.stdin && terminal) stdio.connectStdin(run.stdin);
      if (cgroupsPath) oomWatch = watchOomKills(cgroupsPath);
      return pid;
    },
    async kill(requested, all) {
      signalled = true;
      // Still starting: there is no pid to signal yet, and runc may never give one. The container's
      // init may already run in a session of its own: runc kills what it knows of, then runc goes.
      if (pid === 0) {
        await runcKillAll(options.runcRoot, bundle, id, 9).catch(() => {});
        return run?.abort();
      }
      const plan = wasm ? planWasmSignal(requested, prepared.engine === 'component-http') : { send: requested };
      if (plan.reportAs !== undefined) pendingSignal ??= plan;
      const gone = () => notFound(`task ${id} has already exited: there is no process to signal`);
      if (all) {
        return runcKillAll(options.runcRoot, bundle, id, plan.send).catch((error: Error) => {
          throw isGone(error) ? gone() : error;
        });
      }
      try {
        process.kill(pid, plan.send);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw gone();
        throw error;
      }
    },
    async afterExit() {
      // The OOM counter lives in the cgroup, which runc delete (or systemd, once the scope is empty)
      // removes: read it first, and count what the watch saw. An OOM's change to memory.events may
      // wait in this same turn of the event loop behind the exit: let it be handled first. The
      // delete itself runs on while the exit is reported; cleanup() waits for it.
      await new Promise((resolve) => setImmediate(resolve));
      const killed = runcStatus === 128 + 9 && !signalled;
      const oomKilled = cgroupsPath !== '' && (oomKills(cgroupsPath) > 0n || (oomWatch?.count() ?? 0n) > 0n || (killed && (oomWatch?.goneAfterParentOom() ?? false)));
      oomWatch?.close();
      removal = removeContainer();
      return { oomKilled };
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      oomWatch?.close();
      stdio.close();
      let gone = true;
      if (run?.running()) {
        // runc may have no state to kill by yet (still creating): then its process group goes.
        await runcKillAll(options.runcRoot, bundle, id, 9).catch(() => {
          try {
            if (run?.child.pid) process.kill(-run.child.pid, 'SIGKILL');
          } catch {
            // The group is gone already.
          }
        });
        let timer: NodeJS.Timeout | undefined;
        const exited = await Promise.race([run.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), CLEANUP_WAIT_MS)))]);
        clearTimeout(timer);
        gone = exited;
        if (!exited) options.log.error('the container did not end after SIGKILL; its processes may be left', { id, pid });
      }
      await (removal ?? removeContainer());
      // A runc delete that failed or never returned leaves runc's state and the cgroup: removed here
      // once no process is left, and kept otherwise (without its state runc could never kill them).
      if (gone && (!cgroupsPath || cgroupProcs(cgroupsPath).length === 0)) {
        await forgetContainer(options.runcRoot, id, cgroupsPath).catch((error: Error) => options.log.warn('removing what runc left failed', { id, error: error.message }));
      }
      await removeRuncFiles(bundle);
      if (mounted) await unmountRootfs(rootfs);
    },
    closeStdin() {
      stdio.closeStdin();
    },
    async resize(width, height) {
      if (!prepared.terminal) throw failedPrecondition(`task ${id} has no terminal (tty) to resize`);
      if (!run || pid === 0) throw failedPrecondition(`task ${id} is not running: start it before resizing its terminal`);
      await run.resize(width, height);
    },
    async exec(execRequest) {
      if (wasm) throw failedPrecondition(`task ${id} is a WebAssembly container: it runs a single guest, with no shell or other programs to exec; exec into a native sidecar of the pod instead`);
      return createRuncExec({ runcRoot: options.runcRoot, id, bundle, systemdCgroup, log: options.log }, execRequest);
    },
    async update(resources) {
      if (pid === 0) throw failedPrecondition(`task ${id} is not running yet: start it before updating its resources`);
      await updateResources(options.runcRoot, bundle, id, resources);
      options.log.info('resources updated', { id, resources: resources.json });
    },
    pids() {
      const procs = cgroupsPath ? cgroupProcs(cgroupsPath) : [];
      return procs.length > 0 ? procs : pid > 0 ? [pid] : [];
    },
    stats() {
      // Without a cgroup path the figures would be the whole host's.
      if (!cgroupsPath) throw notFound(`task ${id} has no cgroup (linux.cgroupsPath is empty): no stats to report`);
      return metricsAny(cgroupsPath);
    },
  };
}
