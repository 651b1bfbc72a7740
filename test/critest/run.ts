// Runs critest inside a CriNode's namespaces (its networking specs reach pod IPs and host ports of
// the node's own network namespace, its mount propagation specs mount in the node's mount namespace)
// against one runtime handler, and reads its ginkgo JSON report.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { readReport, type SpecOutcome } from './report.ts';

const CACHE = process.env.WASMTS_TEST_CACHE || '/var/cache/wasmts-test';
export const CRI_TOOLS_VERSION = 'v1.37.0';
export const CRI_TOOLS_BIN = join(CACHE, `cri-tools-${CRI_TOOLS_VERSION}`);

// critest runs its specs on this many ginkgo processes; most of a spec's time is waiting on a
// container, so more than the machine's cores.
const PARALLEL = 6;

export interface CritestRun {
  outcomes: Map<string, SpecOutcome>;
  seconds: number;
  // critest's own output, for a run whose report is missing.
  output: string;
}

// A private containerd, or the test VM's own (which runs critest where it runs).
export type CritestTarget = Pick<PrivateContainerd, 'spawnInside' | 'socket'>;

export async function runCritest(containerd: CritestTarget, handler: string, reportPath: string): Promise<CritestRun> {
  if (!existsSync(join(CRI_TOOLS_BIN, 'critest'))) throw new Error(`critest is not in ${CRI_TOOLS_BIN}: run bash scripts/cri-tools.sh (make setup)`);
  const started = performance.now();
  // ginkgo, which runs the parallel specs, is found on PATH.
  const child = containerd.spawnInside('env', [
    `PATH=${CRI_TOOLS_BIN}:${process.env.PATH}`,
    'critest',
    `--runtime-endpoint=unix://${containerd.socket}`,
    `--runtime-handler=${handler}`,
    `--parallel=${PARALLEL}`,
    `--ginkgo.json-report=${reportPath}`,
    '--ginkgo.no-color',
  ]);
  child.stdin!.end();
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  await once(child, 'exit');
  const seconds = Math.round((performance.now() - started) / 1000);
  // critest exits non-zero whenever a spec fails: the report says which.
  if (!existsSync(reportPath)) throw new Error(`critest (${handler}) wrote no report; its output ends:\n${output.slice(-4000)}`);
  return { outcomes: readReport(reportPath), seconds, output };
}
