/**
 * The compute driver contract: what the compute manager relies on from any ComputeDriver, whatever
 * the hypervisor (power-state transitions and their idempotence, the errors for unknown guests and
 * wrong states, snapshot streaming, rescue, same-host resize, console output). Taken from the
 * driver-neutral cases of fake-driver.test.ts; run against the fake and libvirt drivers by
 * driver-contract.test.ts. Nothing here uses a driver's own inspection API (describeGuest,
 * simulatePowerState, payload formats): only the ComputeDriver interface.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DiskNotFound, DriverError, GuestExists, GuestInvalidState, GuestNotFound, type ComputeDriver, type GuestSpec } from '../../src/compute/driver/compute-driver';
import { PowerState } from '../../src/objects/instance.object';

const { RUNNING, PAUSED, SHUTDOWN, SUSPENDED } = PowerState;

export interface DriverContractHarness {
  /** Suite name suffix, e.g. `fake` or `libvirt (lab)`. */
  name: string;
  /** A new driver, initialised for `host`. */
  driver(host: string): Promise<ComputeDriver>;
  /** Guest spec number `n` (distinct uuid and name per n) for node `node`, spawnable on the driver. */
  spec(n: number, node: string): GuestSpec;
  /** A uuid-shaped id that no guest has. */
  unknownUuid: string;
  /** `skip` for node:test (false: run). */
  skip?: string | false;
  /** Time budget per test (real guests boot in seconds); the suite times out after 16 of them. */
  timeoutMs?: number;
  /** A volume file `n` the driver can attach (a qcow2 on the hypervisor host; any path for the fake). */
  volume(n: number): Promise<string>;
  /** The guest's disk devices as the hypervisor itself shows them (e.g. `virsh domblklist`), sorted. */
  guestDisks(d: ComputeDriver, uuid: string): Promise<string[]>;
  /** A line the guest prints on its console once booted (hot-unplug needs a booted guest); none: no wait. */
  bootMarker?: string;
  /** Runs after every test, after the guests were destroyed (e.g. file cleanup). */
  afterEach?(): Promise<void>;
}

export function driverContract(h: DriverContractHarness): void {
  const host = 'contract-h1';
  // timeoutMs is per test; the suite gets one such budget for each of its tests.
  const opts = { skip: h.skip ?? false, timeout: (h.timeoutMs ?? 60_000) * 16 };

  describe(`compute driver contract: ${h.name}`, opts, () => {
    let d: ComputeDriver;
    let g: GuestSpec;
    const spawned: string[] = [];
    const nope = h.unknownUuid;
    const power = async (uuid = g.uuid): Promise<number> => (await d.getInfo(uuid)).power_state;
    const spawn = async (spec: GuestSpec): Promise<void> => {
      spawned.push(spec.uuid);
      await d.spawn(spec);
    };

    beforeEach(async () => {
      d = await h.driver(host);
      g = h.spec(1, host);
      await spawn(g);
    });
    afterEach(async () => {
      for (const uuid of spawned.splice(0)) await d.destroy(uuid).catch(() => undefined);
      await d.close();
      await h.afterEach?.();
    });

    it('spawns RUNNING, refuses a duplicate, reports and lists guests; unknown guests are not found', async () => {
      assert.deepEqual(await d.getInfo(g.uuid), { uuid: g.uuid, name: g.name, power_state: RUNNING });
      await assert.rejects(d.spawn(g), GuestExists);
      const g2 = h.spec(2, host);
      await spawn(g2);
      const mine = (await d.listGuests()).map((x) => x.uuid).filter((u) => u === g.uuid || u === g2.uuid);
      assert.deepEqual(mine.sort(), [g.uuid, g2.uuid].sort());
      await assert.rejects(d.getInfo(nope), (e: unknown) => e instanceof GuestNotFound && e.code === 404);
    });

    it('destroy removes the guest and is idempotent', async () => {
      await d.destroy(g.uuid);
      await d.destroy(g.uuid);
      await d.destroy(nope);
      assert.ok(!(await d.listGuests()).some((x) => x.uuid === g.uuid));
      await assert.rejects(d.getInfo(g.uuid), GuestNotFound);
    });

    it('power off / on, idempotent both ways; a paused guest can be powered off', async () => {
      await d.powerOff(g.uuid, 60);
      assert.equal(await power(), SHUTDOWN);
      await d.powerOff(g.uuid);
      assert.equal(await power(), SHUTDOWN);
      await d.powerOn(g.uuid);
      assert.equal(await power(), RUNNING);
      await d.powerOn(g.uuid);
      assert.equal(await power(), RUNNING);
      await d.pause(g.uuid);
      await d.powerOff(g.uuid);
      assert.equal(await power(), SHUTDOWN);
      await assert.rejects(d.powerOn(nope), GuestNotFound);
    });

    it('pause / unpause and suspend / resume, with invalid states refused', async () => {
      await d.pause(g.uuid);
      assert.equal(await power(), PAUSED);
      await d.pause(g.uuid); // already paused: no-op
      await assert.rejects(d.resume(g.uuid), GuestInvalidState);
      await d.unpause(g.uuid);
      assert.equal(await power(), RUNNING);
      await d.unpause(g.uuid); // already running: no-op

      await d.suspend(g.uuid);
      assert.equal(await power(), SUSPENDED);
      await assert.rejects(d.pause(g.uuid), GuestInvalidState);
      await assert.rejects(d.unpause(g.uuid), GuestInvalidState);
      await d.resume(g.uuid);
      assert.equal(await power(), RUNNING);

      await d.pause(g.uuid);
      await d.suspend(g.uuid); // a paused guest can be suspended
      assert.equal(await power(), SUSPENDED);
      await d.resume(g.uuid);
      assert.equal(await power(), RUNNING);

      await d.powerOff(g.uuid);
      await assert.rejects(d.pause(g.uuid), (e: unknown) =>
        e instanceof GuestInvalidState && e.code === 409 && e.message === `Instance ${g.uuid} in power state SHUTDOWN. Cannot pause while the instance is in this state.`);
      await assert.rejects(d.suspend(g.uuid), GuestInvalidState);
      await assert.rejects(d.unpause(g.uuid), GuestInvalidState);
      await assert.rejects(d.resume(g.uuid), GuestInvalidState);
      assert.equal(await power(), SHUTDOWN);
      await assert.rejects(d.pause(nope), GuestNotFound);
    });

    it('reboot: SOFT and HARD end RUNNING from any state; unknown guest is not found', async () => {
      await d.reboot(g.uuid, 'SOFT');
      assert.equal(await power(), RUNNING);
      await d.pause(g.uuid);
      await d.reboot(g.uuid, 'HARD');
      assert.equal(await power(), RUNNING);
      await d.suspend(g.uuid);
      await d.reboot(g.uuid, 'HARD');
      assert.equal(await power(), RUNNING);
      await d.powerOff(g.uuid);
      await d.reboot(g.uuid, 'SOFT'); // falls back to a hard reboot
      assert.equal(await power(), RUNNING);
      await assert.rejects(d.reboot(nope, 'HARD'), GuestNotFound);
    });

    it('rescue / unrescue with the guest\'s own image', async () => {
      await assert.rejects(d.unrescue(g.uuid), GuestInvalidState);
      await d.powerOff(g.uuid);
      await d.rescue(g.uuid, null, null);
      assert.equal(await power(), RUNNING);
      await assert.rejects(d.rescue(g.uuid, null, null), /already rescued/);
      await assert.rejects(d.snapshot(g.uuid, async () => undefined), GuestInvalidState);
      await d.unrescue(g.uuid);
      assert.equal(await power(), RUNNING);
      await assert.rejects(d.unrescue(g.uuid), GuestInvalidState);
      await d.pause(g.uuid);
      await assert.rejects(d.rescue(g.uuid, null, null), GuestInvalidState);
    });

    it('snapshot streams a non-empty image with its formats and keeps the power state', async () => {
      await d.pause(g.uuid);
      let got = Buffer.alloc(0);
      let meta: { disk_format: string; container_format: string } | undefined;
      await d.snapshot(g.uuid, async (data, m) => {
        meta = m;
        const chunks: Buffer[] = [];
        for await (const c of data) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
        got = Buffer.concat(chunks);
      });
      assert.ok(got.length > 0);
      assert.ok(meta && typeof meta.disk_format === 'string' && meta.container_format === 'bare', JSON.stringify(meta));
      assert.equal(await power(), PAUSED);
      await assert.rejects(d.snapshot(g.uuid, async () => { throw new Error('upload failed'); }), /upload failed/);
      assert.equal(await power(), PAUSED);
      await assert.rejects(d.snapshot(nope, async () => undefined), GuestNotFound);
    });

    it('set admin password and crash dumps need a running guest; console output is text', async () => {
      assert.equal(typeof (await d.getConsoleOutput(g.uuid)), 'string');
      await assert.rejects(d.getConsoleOutput(nope), GuestNotFound);
      await d.triggerCrashDump(g.uuid);
      assert.equal(await power(), RUNNING);
      await d.powerOff(g.uuid);
      await assert.rejects(d.setAdminPassword(g.uuid, 'pw2'), GuestInvalidState);
      await assert.rejects(d.triggerCrashDump(g.uuid), GuestInvalidState);
    });

    it('same-host resize: bigger flavor, finish, confirm (idempotent); shrinking the root disk is refused', async () => {
      const bigger = { vcpus: 2, memory_mb: g.memory_mb + 32, root_gb: g.root_gb + 1, ephemeral_gb: 0, swap: 0 };
      await assert.rejects(d.migrateDiskAndPowerOff(g.uuid, host, { ...bigger, root_gb: 0 }), (e: unknown) =>
        e instanceof DriverError && /Unable to resize disk down/.test(e.message));
      assert.equal(await power(), RUNNING, 'untouched');
      await d.migrateDiskAndPowerOff(g.uuid, host, bigger);
      assert.equal(await power(), SHUTDOWN);
      await d.finishMigration({ ...g, ...bigger });
      assert.equal(await power(), RUNNING);
      await d.confirmMigration(g.uuid);
      await d.confirmMigration(g.uuid);
      assert.equal(await power(), RUNNING);
      assert.equal((await d.listGuests()).filter((x) => x.uuid === g.uuid).length, 1);
    });

    /** Until the guest has printed its boot marker (no-op without one). */
    const booted = async (uuid = g.uuid): Promise<void> => {
      if (!h.bootMarker) return;
      const deadline = Date.now() + 90_000;
      while (!(await d.getConsoleOutput(uuid)).includes(h.bootMarker)) {
        if (Date.now() > deadline) assert.fail(`guest ${uuid} did not print ${h.bootMarker}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    it('volumes: hot-plug a local qcow2 into a running guest and unplug it; in-use devices and serials refused', async () => {
      const vol1 = await h.volume(1);
      const vol2 = await h.volume(2);
      await booted();
      assert.equal(await d.attachVolume(g.uuid, { path: vol1, serial: 'vol-0001' }), 'vdb');
      assert.deepEqual(await h.guestDisks(d, g.uuid), ['vda', 'vdb']);
      assert.equal(await power(), RUNNING);
      await assert.rejects(d.attachVolume(g.uuid, { path: vol2, device: 'vdb', serial: 'vol-0002' }), (e: unknown) =>
        e instanceof DriverError && /device vdb of instance \S+ is already in use/.test(e.message));
      await assert.rejects(d.attachVolume(g.uuid, { path: vol2, device: 'vda', serial: 'vol-0002' }), /device vda .* already in use/);
      await assert.rejects(d.attachVolume(g.uuid, { path: vol2, serial: 'vol-0001' }), (e: unknown) => e instanceof DriverError && /already attached/.test(e.message));
      await assert.rejects(d.attachVolume(g.uuid, { path: vol2, device: 'sda; reboot', serial: 'vol-0002' }), /invalid device name/);
      assert.equal(await d.attachVolume(g.uuid, { path: vol2, device: 'vdd', serial: 'vol-0002' }), 'vdd');
      assert.deepEqual(await h.guestDisks(d, g.uuid), ['vda', 'vdb', 'vdd']);
      await d.detachVolume(g.uuid, 'vol-0001');
      assert.deepEqual(await h.guestDisks(d, g.uuid), ['vda', 'vdd']);
      await assert.rejects(d.detachVolume(g.uuid, 'vol-0001'), (e: unknown) => e instanceof DiskNotFound && e.code === 404 && e.message === 'No disk at vol-0001');
      await d.detachVolume(g.uuid, 'vol-0002');
      assert.deepEqual(await h.guestDisks(d, g.uuid), ['vda']);
      assert.equal(await power(), RUNNING);
      await assert.rejects(d.attachVolume(nope, { path: vol1, serial: 'vol-0001' }), GuestNotFound);
      await assert.rejects(d.detachVolume(nope, 'vol-0001'), GuestNotFound);
    });

    it('volumes: a stopped guest gets the volume in its definition (there after power on and a resize); a suspended one is refused', async () => {
      const vol1 = await h.volume(1);
      await d.powerOff(g.uuid);
      assert.equal(await d.attachVolume(g.uuid, { path: vol1, serial: 'vol-0001' }), 'vdb');
      assert.equal(await power(), SHUTDOWN);
      await d.powerOn(g.uuid);
      assert.deepEqual(await h.guestDisks(d, g.uuid), ['vda', 'vdb']);
      // A same-host resize defines the guest again from the new flavor: the volume stays attached.
      const bigger = { vcpus: 1, memory_mb: g.memory_mb, root_gb: g.root_gb + 1, ephemeral_gb: 0, swap: 0 };
      await d.migrateDiskAndPowerOff(g.uuid, host, bigger);
      await d.finishMigration({ ...g, ...bigger });
      await d.confirmMigration(g.uuid);
      assert.equal(await power(), RUNNING);
      assert.deepEqual(await h.guestDisks(d, g.uuid), ['vda', 'vdb']);
      await d.powerOff(g.uuid);
      await d.detachVolume(g.uuid, 'vol-0001');
      await d.powerOn(g.uuid);
      assert.deepEqual(await h.guestDisks(d, g.uuid), ['vda']);
      await d.suspend(g.uuid);
      await assert.rejects(d.attachVolume(g.uuid, { path: vol1, serial: 'vol-0001' }), GuestInvalidState);
      assert.equal(await power(), SUSPENDED);
    });

    it('live migration to the guest\'s own host is refused', async () => {
      await assert.rejects(d.liveMigrate(g.uuid, host), DriverError);
      assert.equal(await power(), RUNNING);
    });
  });
}
