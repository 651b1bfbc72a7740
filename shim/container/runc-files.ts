// Files runc writes into a bundle for us: the container's pid and runc's own log.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const PID_FILE = 'init.pid';
export const LOG_FILE = 'runc.log';

export async function removeRuncFiles(bundle: string): Promise<void> {
  await Promise.all([rm(join(bundle, PID_FILE), { force: true }), rm(join(bundle, LOG_FILE), { force: true })]);
}

export async function recordedPid(bundle: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(join(bundle, PID_FILE), 'utf8').catch(() => ''), 10);
  return pid > 0 ? pid : undefined;
}
