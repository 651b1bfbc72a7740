// What makes a critest run on wasmts fail against runc's run on the same node: a spec runc passes
// and wasmts does not, and a containerd limit listed for this version that does not hold.
import type { ContainerdVersion } from '../../scripts/containerd-versions.ts';
import { containerdLimits } from './containerd-limits.ts';
import { compare, type SpecOutcome } from './report.ts';

export function critestProblems(runc: Map<string, SpecOutcome>, wasmts: Map<string, SpecOutcome>, version: ContainerdVersion, note: (line: string) => void): string[] {
  const result = compare(runc, wasmts, containerdLimits(version));
  for (const name of result.excludedButFailingForReference) note(`  listed, and does not pass on runc either here: ${name}`);
  return [
    ...result.regressions.map((r) => `passes on runc, ${r.outcome?.state ?? 'missing'} on wasmts: ${r.name}: ${r.outcome?.failure ?? ''}`),
    ...result.excludedButPassing.map((name) => `listed as a containerd limit but passes on wasmts (take it off containerdLimits): ${name}`),
    ...result.excludedUnknown.map((name) => `listed as a containerd limit but critest has no such spec: ${name}`),
  ];
}
