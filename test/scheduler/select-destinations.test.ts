/**
 * The scheduler role answering select_destinations over the real bus (MariaDB + RabbitMQ), from
 * the compute nodes the fake driver reports: the test process calls it as the conductor will.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AmqpBus } from '../../src/rpc/amqp.bus';
import { NoValidHost } from '../../src/scheduler/no-valid-host';
import type { RequestSpec } from '../../src/scheduler/request-spec';
import type { Selection } from '../../src/scheduler/filter-scheduler';
import { Cloud, startCloud } from '../utils/cloud';
import { waitFor } from '../utils/nova-process';
import { RABBIT_URL as RABBIT } from '../utils/buses';


const spec = (over: Partial<RequestSpec> = {}): RequestSpec => ({
  flavor: { vcpus: 1, memory_mb: 2048, root_gb: 10, ephemeral_gb: 0, swap: 0, extra_specs: {} },
  num_instances: 1,
  ...over,
});

describe('scheduler.select_destinations over RabbitMQ (MariaDB)', () => {
  let cloud: Cloud;
  let bus: AmqpBus;
  const select = (s: RequestSpec, uuids: string[]) =>
    bus.call<Selection[][]>({ topic: 'scheduler' }, 'select_destinations', { spec_obj: s, instance_uuids: uuids, return_alternates: true }, { timeoutMs: 15_000 });

  before(async () => {
    cloud = await startCloud('mysql', '[fake_driver]\nvcpus = 4\nmemory_mb = 4608\nlocal_gb = 50\nnodes = n1, n2, n3\n');
    const exchange = /control_exchange = (\S+)/.exec(readFileSync(cloud.confPath, 'utf8'))![1];
    bus = await AmqpBus.connect({ transportUrl: RABBIT, controlExchange: exchange });
    await waitFor(async () => (await cloud.request('GET', '/v2.1/os-hypervisors')).body.hypervisors.length === 3, 20_000, 'three nodes');
  });
  after(async () => {
    await bus?.close(1000);
    await cloud?.stop();
  });

  it('picks a node for each instance, spreading by free RAM, with alternates', async () => {
    const result = await select(spec({ num_instances: 3 }), ['i1', 'i2', 'i3']);
    assert.equal(result.length, 3);
    const chosen = result.map((alts) => alts[0].nodename);
    assert.deepEqual([...chosen].sort(), ['n1', 'n2', 'n3'], 'equal nodes: each instance lands on a different one');
    for (const alts of result) {
      assert.equal(alts[0].service_host, 'functest');
      assert.equal(alts.length, 1, 'every node was chosen for an instance, so none is left as an alternate (as in Nova)');
    }
    const one = await select(spec(), ['solo']);
    assert.equal(one.length, 1);
    assert.equal(one[0].length, 3, 'max_attempts 3: the chosen node plus two alternates');
    assert.equal(new Set(one[0].map((a) => a.nodename)).size, 3);
  });

  it('a flavor no node fits raises NoValidHost on the caller, with its class', async () => {
    // 4608 MB - 512 reserved leaves 4096 MB per node.
    await assert.rejects(select(spec({ flavor: { vcpus: 1, memory_mb: 8192, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: {} } }), ['big']),
      (e: Error) => e instanceof NoValidHost && /^No valid host was found\./.test(e.message));
  });

  it('a disabled compute service takes its nodes out of scheduling', async () => {
    await cloud.request('PUT', '/v2.1/os-services/disable', { body: { host: 'functest', binary: 'nova-compute' } });
    await assert.rejects(select(spec(), ['x']), NoValidHost);
    await cloud.request('PUT', '/v2.1/os-services/enable', { body: { host: 'functest', binary: 'nova-compute' } });
    assert.equal((await select(spec(), ['x'])).length, 1);
  });

  it('claims what it picks: six 2 GiB instances fill the three nodes, and a request that cannot fit whole claims nothing', async () => {
    // Five instances hold claims from the tests above (i1, i2, i3, solo, x): one slot is left.
    await assert.rejects(select(spec({ num_instances: 2 }), ['p', 'q']), NoValidHost);
    // All or none: nothing was claimed for 'p', so the last slot is still free.
    const [[last]] = await select(spec(), ['e']);
    assert.ok(['n1', 'n2', 'n3'].includes(last.nodename));
    await assert.rejects(select(spec(), ['g']), NoValidHost);
  });
});
