// The kubelet's side of CRI, as the tests need it: pods and containers created, started, watched,
// stopped and removed in the kubelet's order, with runtime_handler "wasmts".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { CriClient, RuntimeService } from '../cri/client.ts';
import type { ContainerConfigSchema, ContainerStatus, PodSandboxConfigSchema } from '../cri/gen/cri_pb.ts';

export const HANDLER = 'wasmts';
// CRI's ContainerState and NamespaceMode values.
export const CONTAINER_RUNNING = 1;
export const CONTAINER_EXITED = 2;
export const NAMESPACE_POD = 0;
export const NAMESPACE_NODE = 2;

let pods = 0;

export interface Pod {
  id: string;
  config: MessageInitShape<typeof PodSandboxConfigSchema>;
  logDirectory: string;
}

export async function runPod(cri: CriClient, logRoot: string, options: { name?: string; hostNetwork?: boolean; handler?: string; cgroupParent?: string } = {}): Promise<Pod> {
  const name = options.name ?? `pod-${process.pid}-${pods++}`;
  const logDirectory = join(logRoot, name);
  const config: MessageInitShape<typeof PodSandboxConfigSchema> = {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 },
    // A hostNetwork pod shares the node's UTS namespace, and with it the node's hostname.
    hostname: options.hostNetwork ? '' : name,
    logDirectory,
    labels: { app: name },
    linux: {
      cgroupParent: options.cgroupParent ?? `/wasmts-test/${name}`,
      securityContext: { namespaceOptions: { network: options.hostNetwork ? NAMESPACE_NODE : NAMESPACE_POD, pid: 1, ipc: NAMESPACE_POD } },
    },
  };
  const response = await cri.call(RuntimeService.method.runPodSandbox, { config, runtimeHandler: options.handler ?? HANDLER });
  return { id: response.podSandboxId, config, logDirectory };
}

export async function startContainer(cri: CriClient, pod: Pod, config: MessageInitShape<typeof ContainerConfigSchema>): Promise<string> {
  const { containerId } = await cri.call(RuntimeService.method.createContainer, { podSandboxId: pod.id, config, sandboxConfig: pod.config });
  await cri.call(RuntimeService.method.startContainer, { containerId });
  return containerId;
}

export async function status(cri: CriClient, containerId: string): Promise<ContainerStatus> {
  return (await cri.call(RuntimeService.method.containerStatus, { containerId })).status!;
}

export async function waitState(cri: CriClient, containerId: string, state: number, timeoutMs = 30_000): Promise<ContainerStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await status(cri, containerId);
    if (current.state === state) return current;
    if (Date.now() > deadline) throw new Error(`container ${containerId} is in state ${current.state}, not ${state}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface LogLine {
  stream: string;
  text: string;
}

// The CRI log file: `<RFC3339Nano> <stream> <P|F> <text>` lines.
export function logLines(pod: Pod, logPath: string): LogLine[] {
  return readFileSync(join(pod.logDirectory, logPath), 'utf8').split('\n').filter(Boolean).map((line) => {
    const [, stream, , ...rest] = line.split(' ');
    return { stream: stream!, text: rest.join(' ') };
  });
}

// CRI marks a container exited once it has read the container's output to EOF, but its log writer
// puts the last chunk (up to 32 KiB) into the file just after: wait for the lines, as `kubectl logs`
// a moment later would see them. Lines that never come still fail the caller's assertions.
export async function awaitLogLines(pod: Pod, logPath: string, complete: (lines: LogLine[]) => boolean, timeoutMs = 60_000): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = logLines(pod, logPath);
    if (complete(lines) || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function removePod(cri: CriClient, pod: Pod): Promise<void> {
  await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: pod.id });
  await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: pod.id });
}
