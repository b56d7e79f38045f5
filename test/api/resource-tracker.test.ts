import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';
import { waitFor } from '../utils/nova-process';

for (const backend of BACKENDS) {
  describe(`compute resource tracker → os-hypervisors (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend, '[fake_driver]\nvcpus = 8\nmemory_mb = 16384\nlocal_gb = 100\nnodes = node-a, node-b\n');
    });
    after(async () => cloud?.stop());

    it('each fake node the compute reports (through the conductor) is a hypervisor, up and enabled', async () => {
      let list: Array<Record<string, unknown>> = [];
      await waitFor(async () => {
        list = (await cloud.request('GET', '/v2.1/os-hypervisors')).body.hypervisors;
        return list.length === 2;
      }, 20_000, 'two hypervisors');
      assert.deepEqual(list.map((h) => h.hypervisor_hostname).sort(), ['node-a', 'node-b']);
      assert.ok(list.every((h) => h.state === 'up' && h.status === 'enabled'));

      const detail = (await cloud.request('GET', '/v2.1/os-hypervisors/detail')).body.hypervisors;
      const a = detail.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'node-a');
      assert.equal(a.vcpus, 8);
      assert.equal(a.memory_mb, 16384);
      assert.equal(a.memory_mb_used, 512, 'reserved_host_memory_mb counts as used');
      assert.equal(a.free_ram_mb, 16384 - 512);
      assert.equal(a.local_gb, 100);
      assert.equal(a.hypervisor_type, 'fake');
      assert.equal(a.service.host, 'functest');
      assert.equal(typeof a.cpu_info, 'string', 'cpu_info is a JSON string before 2.28');

      const shown = await cloud.request('GET', `/v2.1/os-hypervisors/${a.id}`);
      assert.equal(shown.body.hypervisor.hypervisor_hostname, 'node-a');
      const stats = (await cloud.request('GET', '/v2.1/os-hypervisors/statistics')).body.hypervisor_statistics;
      assert.equal(stats.count, 2);
      assert.equal(stats.vcpus, 16);
      assert.equal(stats.memory_mb, 32768);

      // Disabling the compute service shows on its hypervisors.
      const svc = (await cloud.request('GET', '/v2.1/os-services?binary=nova-compute')).body.services[0];
      await cloud.request('PUT', '/v2.1/os-services/disable', { body: { host: svc.host, binary: 'nova-compute' } });
      const after = (await cloud.request('GET', '/v2.1/os-hypervisors')).body.hypervisors;
      assert.ok(after.every((h: { status: string }) => h.status === 'disabled'));
      assert.equal((await cloud.request('GET', '/v2.1/os-hypervisors', { token: 'alice:p1' })).status, 403);
    });
  });
}
