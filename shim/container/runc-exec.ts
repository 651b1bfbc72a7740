// An exec process of a native container: the OCI process written into the bundle at Exec, `runc exec`
// at Start, the process's files and fds gone at cleanup.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { failedPrecondition, invalidArgument, notFound } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ExecRequest, ExecRunner } from '../task/container.ts';
import { writeNamedFile } from '../write-file.ts';
import { runcExec, type RuncProcess } from './runc.ts';
import { openStdio } from './stdio.ts';

const CLEANUP_WAIT_MS = 10_000;

export interface ExecTarget {
  runcRoot: string;
  id: string;
  bundle: string;
  systemdCgroup: boolean;
  log: Logger;
}

// containerd checks exec ids as identifiers; they name files in the bundle here, so they are checked again.
const EXEC_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,75}$/;

export function execFiles(execId: string): { processFile: string; pidFile: string; logFile: string } {
  return { processFile: `exec-${execId}.json`, pidFile: `exec-${execId}.pid`, logFile: `exec-${execId}.log` };
}

function processSpec(request: ExecRequest): Record<string, unknown> {
  let spec: unknown;
  try {
    spec = JSON.parse(new TextDecoder().decode(request.process));
  } catch (error) {
    throw invalidArgument(`exec ${request.execId}: the process spec is not JSON (${(error as Error).message}); containerd sends the OCI process as JSON`);
  }
  const args = (spec as { args?: unknown } | null)?.args;
  if (!Array.isArray(args) || args.length === 0 || !args.every((arg) => typeof arg === 'string')) {
    throw invalidArgument(`exec ${request.execId}: the process spec has no args: name the program to run`);
  }
  // What runc is asked for and how it is run (with a terminal or not) must agree.
  return { ...(spec as Record<string, unknown>), terminal: request.terminal };
}

export async function createRuncExec(target: ExecTarget, request: ExecRequest): Promise<ExecRunner> {
  const { execId } = request;
  if (!EXEC_ID.test(execId)) throw invalidArgument(`exec id ${JSON.stringify(execId)} is not an identifier: use letters, digits, '_', '.' and '-' (at most 76)`);
  const spec = processSpec(request);
  const files = execFiles(execId);
  const processPath = join(target.bundle, files.processFile);
  await writeNamedFile(processPath, JSON.stringify(spec));
  let stdio;
  try {
    stdio = openStdio(request);
  } catch (error) {
    await rm(processPath, { force: true });
    throw error;
  }
  let run: RuncProcess | undefined;
  let pid = 0;
  let cleaned = false;
  // A ResizePty before Start (CRI's streaming server may send the size first) applies once it runs.
  let size: [number, number] | undefined;
  const { promise: exited, resolve: resolveExited } = Promise.withResolvers<number>();
  const removeFiles = () => Promise.all(Object.values(files).map((name) => rm(join(target.bundle, name), { force: true })));

  return {
    exited,
    async start() {
      run = runcExec({
        root: target.runcRoot,
        id: target.id,
        bundle: target.bundle,
        systemdCgroup: target.systemdCgroup,
        terminal: request.terminal,
        stdio: [stdio.hasStdin ? 'pipe' : 'ignore', stdio.stdout ?? 'ignore', stdio.stderr ?? 'ignore'],
        ...files,
      });
      // With a terminal, bytes must reach runc only once it has made its own terminal raw (it has
      // by the time the process runs): before, that terminal would echo them and change line ends.
      if (run.stdin && !request.terminal) stdio.connectStdin(run.stdin);
      stdio.closeOutputs();
      void run.exited.then(resolveExited);
      pid = await run.started;
      if (run.stdin && request.terminal) stdio.connectStdin(run.stdin);
      if (size) await run.resize(...size).catch((error: Error) => target.log.warn('resizing the terminal failed', { id: target.id, execId, error: error.message }));
      return pid;
    },
    async kill(signal) {
      // Still starting: no pid yet, and runc may never give one.
      if (pid === 0) return run?.abort();
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw notFound(`exec process ${execId} of task ${target.id} has already exited: there is no process to signal`);
        throw error;
      }
    },
    closeStdin() {
      stdio.closeStdin();
    },
    async resize(width, height) {
      if (!request.terminal) throw failedPrecondition(`exec process ${execId} of task ${target.id} has no terminal (tty) to resize`);
      if (pid === 0 || !run) size = [width, height];
      else await run.resize(width, height);
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      stdio.close();
      if (run?.running()) {
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
        run.abort();
        const ended = await Promise.race([run.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, CLEANUP_WAIT_MS, false).unref())]);
        if (!ended) target.log.error('runc exec did not end after SIGKILL; it may be left', { id: target.id, execId, pid });
      }
      await removeFiles();
    },
  };
}
