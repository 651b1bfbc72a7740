import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compare, parseReport, type SpecOutcome } from './report.ts';

const spec = (containers: string[], leaf: string, state: string, failure?: string) => ({
  LeafNodeType: 'It',
  LeafNodeText: leaf,
  ContainerHierarchyTexts: containers,
  State: state,
  ...(failure ? { Failure: { Message: failure, Location: { FileName: '/go/pkg/mod/sigs.k8s.io/cri-tools@v1.37.0/pkg/validate/container.go', LineNumber: 42 } } } : {}),
});

test('one outcome per It, named by its containers and its text; a failure is its first line, its gRPC error and its place', () => {
  const json = JSON.stringify([
    {
      SpecReports: [
        { LeafNodeType: 'BeforeSuite', LeafNodeText: '', ContainerHierarchyTexts: null, State: 'passed' },
        spec(['[k8s.io] Container', 'runtime'], 'should start', 'passed'),
        spec(['[k8s.io] Container', 'runtime'], 'should exec', 'failed', 'failed to exec\nUnexpected error:\n    <*status.Error | 0x1>: \n    rpc error: code = Unimplemented desc = no exec\n    {\n  s: {}\n}'),
        spec(['[k8s.io] Image benchmark'], 'lists', 'skipped'),
      ],
    },
  ]);
  assert.equal([...parseReport(json)], [
    ['[k8s.io] Container runtime should start', { state: 'passed' }],
    ['[k8s.io] Container runtime should exec', { state: 'failed', failure: 'failed to exec: rpc error: code = Unimplemented desc = no exec (pkg/validate/container.go:42)' }],
    ['[k8s.io] Image benchmark lists', { state: 'skipped', failure: undefined }],
  ]);
});

const outcomes = (entries: [string, SpecOutcome['state']][]) => new Map(entries.map(([name, state]) => [name, { state }]));

test('a spec the reference passes and the tested handler does not is a regression unless excluded', () => {
  const reference = outcomes([['a', 'passed'], ['b', 'passed'], ['c', 'failed'], ['d', 'passed']]);
  const tested = outcomes([['a', 'passed'], ['b', 'failed'], ['c', 'failed'], ['d', 'failed']]);
  const result = compare(reference, tested, ['d']);
  assert.equal(result.regressions.map((r) => r.name), ['b']);
  assert.equal(result.excludedButPassing, []);
  assert.equal(result.excludedButFailingForReference, []);
  assert.equal(result.excludedUnknown, []);
});

test('the exclusion list must stay exact: a passing, a reference-failing and an unknown name are each reported', () => {
  const reference = outcomes([['a', 'passed'], ['b', 'failed']]);
  const tested = outcomes([['a', 'passed'], ['b', 'failed']]);
  const result = compare(reference, tested, ['a', 'b', 'gone']);
  assert.equal(result.excludedButPassing, ['a']);
  assert.equal(result.excludedButFailingForReference, ['b']);
  assert.equal(result.excludedUnknown, ['gone']);
});

test('a spec missing from the tested run is a regression', () => {
  const result = compare(outcomes([['a', 'passed']]), new Map(), []);
  assert.equal(result.regressions, [{ name: 'a', outcome: undefined }]);
});

test.run();
