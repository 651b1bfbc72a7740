// Reads ginkgo's JSON report (`--ginkgo.json-report`) into one outcome per spec, and compares two
// runtime handlers' outcomes against the list of specs one of them is known to fail.
import { readFileSync } from 'node:fs';

// ginkgo's SpecState names, as its JSON report spells them.
export type SpecState = 'passed' | 'failed' | 'skipped' | 'pending' | 'panicked' | 'interrupted' | 'aborted' | 'timedout';

export interface SpecOutcome {
  state: SpecState;
  // For a spec that did not pass: the first line of ginkgo's failure message, the gRPC error in it if
  // any (the rest is gomega's dump of the error value), and where it happened.
  failure?: string;
}

interface GinkgoSpecReport {
  LeafNodeType: string;
  LeafNodeText: string;
  ContainerHierarchyTexts: string[] | null;
  State: SpecState;
  Failure?: { Message: string; Location?: { FileName: string; LineNumber: number } };
}

// A spec's full name as ginkgo prints it: its containers' texts, then its own.
export const specName = (report: Pick<GinkgoSpecReport, 'ContainerHierarchyTexts' | 'LeafNodeText'>) => [...(report.ContainerHierarchyTexts ?? []), report.LeafNodeText].join(' ');

function failureText(failure: NonNullable<GinkgoSpecReport['Failure']>): string {
  const lines = failure.Message.split('\n').map((line) => line.trim());
  const rpc = lines.find((line, i) => i > 0 && line.startsWith('rpc error:'));
  const where = failure.Location ? ` (${failure.Location.FileName.replace(/.*\/pkg\//, 'pkg/')}:${failure.Location.LineNumber})` : '';
  return `${[lines[0], rpc].filter(Boolean).join(': ')}${where}`;
}

export function parseReport(json: string): Map<string, SpecOutcome> {
  const suites = JSON.parse(json) as { SpecReports: GinkgoSpecReport[] | null }[];
  const outcomes = new Map<string, SpecOutcome>();
  for (const spec of suites.flatMap((suite) => suite.SpecReports ?? [])) {
    if (spec.LeafNodeType !== 'It') continue;
    outcomes.set(specName(spec), spec.State === 'passed' ? { state: 'passed' } : { state: spec.State, failure: spec.Failure && failureText(spec.Failure) });
  }
  return outcomes;
}

export const readReport = (path: string) => parseReport(readFileSync(path, 'utf8'));

export interface Comparison {
  // Specs the reference handler passes and the handler under test does not, not excluded.
  regressions: { name: string; outcome: SpecOutcome | undefined }[];
  // Excluded specs the handler under test passes: the exclusion is no longer true.
  excludedButPassing: string[];
  // Excluded specs the reference handler does not pass either: not compared on this node.
  excludedButFailingForReference: string[];
  // Excluded names no spec has (critest renamed or dropped it).
  excludedUnknown: string[];
}

export function compare(reference: Map<string, SpecOutcome>, tested: Map<string, SpecOutcome>, excluded: readonly string[]): Comparison {
  const skip = new Set(excluded);
  const regressions = [...reference]
    .filter(([name, outcome]) => outcome.state === 'passed' && !skip.has(name) && tested.get(name)?.state !== 'passed')
    .map(([name]) => ({ name, outcome: tested.get(name) }));
  return {
    regressions,
    excludedButPassing: excluded.filter((name) => tested.get(name)?.state === 'passed'),
    excludedButFailingForReference: excluded.filter((name) => reference.has(name) && reference.get(name)!.state !== 'passed'),
    excludedUnknown: excluded.filter((name) => !reference.has(name) && !tested.has(name)),
  };
}

export const count = (outcomes: Map<string, SpecOutcome>, state: SpecState) => [...outcomes.values()].filter((o) => o.state === state).length;
