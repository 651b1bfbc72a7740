import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary } from '@bufbuild/protobuf';
import * as v1 from '../protocol/gen/cgroups_v1_metrics_pb.ts';
import * as v2 from '../protocol/gen/cgroups_v2_metrics_pb.ts';
import { cgroupPathOf, metricsAny, oomKills, parseKeyed, v1Metrics, v2Metrics, type ReadFile } from './cgroup.ts';

const files = (entries: Record<string, string>): ReadFile => (path) => entries[path];

test('flat keyed files parse to bigints, ignoring junk', () => {
  assert.equal([...parseKeyed('rss 10\ncache 20\nbad\nx y\n')], [['rss', 10n], ['cache', 20n]]);
});

test('v1: the fields CRI reads (cpu total, memory usage/limit, rss, inactive file, faults) and OOM kills', () => {
  const read = files({
    '/cg/cpuacct/default/t/cpuacct.usage': '123456\n',
    '/cg/cpuacct/default/t/cpuacct.usage_percpu': '100 200 \n',
    '/cg/memory/default/t/memory.usage_in_bytes': '4096\n',
    '/cg/memory/default/t/memory.limit_in_bytes': '8192\n',
    '/cg/memory/default/t/memory.stat': 'rss 1000\ntotal_rss 1100\ntotal_inactive_file 300\npgfault 5\npgmajfault 1\ntotal_pgfault 6\nhierarchical_memsw_limit 9\n',
    '/cg/memory/default/t/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    '/cg/pids/default/t/pids.current': '3\n',
  });
  const m = v1Metrics('/default/t', read, '/cg');
  assert.is(m.cpu!.usage!.total, 123456n);
  assert.equal(m.cpu!.usage!.perCpu, [100n, 200n]);
  assert.is(m.memory!.usage!.usage, 4096n);
  assert.is(m.memory!.usage!.limit, 8192n);
  assert.is(m.memory!.rss, 1000n);
  assert.is(m.memory!.totalRss, 1100n);
  assert.is(m.memory!.totalInactiveFile, 300n);
  assert.is(m.memory!.pgFault, 5n);
  assert.is(m.memory!.pgMajFault, 1n);
  assert.is(m.memory!.totalPgFault, 6n);
  assert.is(m.memory!.hierarchicalSwapLimit, 9n);
  assert.is(m.pids!.current, 3n);
  assert.is(oomKills('/default/t', read, '/cg'), 2n);
});

test('v2: usage_usec, memory current/max, anon, inactive_file, faults, oom_kill', () => {
  const read = files({
    '/cg/cgroup.controllers': 'cpu memory pids',
    '/cg/k/t/cpu.stat': 'usage_usec 77\nuser_usec 50\nsystem_usec 27\n',
    '/cg/k/t/memory.current': '5000\n',
    '/cg/k/t/memory.max': 'max\n',
    '/cg/k/t/memory.stat': 'anon 400\ninactive_file 30\npgfault 9\npgmajfault 2\n',
    '/cg/k/t/memory.events': 'low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n',
  });
  const m = v2Metrics('/k/t', read, '/cg');
  assert.is(m.cpu!.usageUsec, 77n);
  assert.is(m.memory!.usage, 5000n);
  assert.is(m.memory!.usageLimit, 0xffffffffffffffffn);
  assert.is(m.memory!.anon, 400n);
  assert.is(m.memory!.inactiveFile, 30n);
  assert.is(m.memory!.pgfault, 9n);
  assert.is(m.memory!.pgmajfault, 2n);
  assert.is(m.memoryEvents!.oomKill, 1n);
});

test('the Any names the message containerd expects for the host cgroup version', () => {
  const v2Any = metricsAny('/k/t', files({ '/cg/cgroup.controllers': '', '/cg/k/t/memory.current': '1' }), '/cg');
  assert.is(v2Any.typeUrl, 'io.containerd.cgroups.v2.Metrics');
  assert.is(fromBinary(v2.MetricsSchema, v2Any.value).memory!.usage, 1n);
  const v1Any = metricsAny('/k/t', files({ '/cg/memory/k/t/memory.usage_in_bytes': '2' }), '/cg');
  assert.is(v1Any.typeUrl, 'io.containerd.cgroups.v1.Metrics');
  assert.is(fromBinary(v1.MetricsSchema, v1Any.value).memory!.usage!.usage, 2n);
});

test('a relative cgroupsPath lies below the shim\'s own cgroup of each controller, as runc puts it', () => {
  const self = '12:memory:/process_api/abc\n3:cpu,cpuacct:/\n9:name=systemd:/user.slice\n0::/init.scope\n';
  const path = cgroupPathOf('x.slice:cri-containerd:id', self);
  assert.is(typeof path, 'function');
  const resolve = path as (controller: string) => string;
  assert.is(resolve('memory'), '/process_api/abc/x.slice:cri-containerd:id');
  assert.is(resolve('cpuacct'), '/x.slice:cri-containerd:id');
  assert.is(resolve('systemd'), '/user.slice/x.slice:cri-containerd:id');
  assert.is(resolve(''), '/init.scope/x.slice:cri-containerd:id');
  assert.is(cgroupPathOf('/kubepods/pod1/abc', self), '/kubepods/pod1/abc');
  assert.is(cgroupPathOf('', self), '');
});

test.run();
