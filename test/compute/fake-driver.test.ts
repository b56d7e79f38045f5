import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/config-loader';
import { ConfigError } from '../../src/common/errors';
import { createComputeDriver } from '../../src/compute/driver-factory';
import { DriverError, GuestExists, GuestInvalidState, GuestNotFound, powerStateName, type GuestSpec } from '../../src/compute/driver/compute-driver';
import { FakeDriver, FakeDriverFailure, snapshotPayload } from '../../src/compute/drivers/fake/fake.driver';
import { PowerState } from '../../src/objects/instance.object';

const { RUNNING, PAUSED, SHUTDOWN, SUSPENDED, CRASHED } = PowerState;

function spec(n: number, over: Partial<GuestSpec> = {}): GuestSpec {
  return {
    uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name: `instance-${n.toString(16).padStart(8, '0')}`,
    hostname: `vm-${n}`,
    vcpus: 1,
    memory_mb: 512,
    root_gb: 10,
    ephemeral_gb: 0,
    swap: 0,
    image: { id: 'img-cirros', name: 'cirros', disk_format: 'qcow2', properties: {} },
    metadata: {},
    node: 'h1',
    ...over,
  };
}

async function driver(host: string, extra: Partial<ConstructorParameters<typeof FakeDriver>[0]> = {}): Promise<FakeDriver> {
  const d = new FakeDriver({ vcpus: 8, memoryMb: 16384, localGb: 100, nodes: [], ...extra });
  await d.init(host);
  return d;
}

async function power(d: FakeDriver, uuid: string): Promise<number> {
  return (await d.getInfo(uuid)).power_state;
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('fake driver: lifecycle', () => {
  let d: FakeDriver;
  const g = spec(1);
  beforeEach(async () => {
    d = await driver('h1');
    await d.spawn(g);
  });
  afterEach(async () => {
    await d.close();
    FakeDriver.clearInjectedFailures();
  });

  it('spawns RUNNING, refuses a duplicate, reports and lists guests', async () => {
    assert.deepEqual(await d.getInfo(g.uuid), { uuid: g.uuid, name: g.name, power_state: RUNNING });
    await assert.rejects(d.spawn(g), GuestExists);
    await d.spawn(spec(2));
    assert.deepEqual((await d.listGuests()).map((x) => x.uuid).sort(), [g.uuid, spec(2).uuid]);
    await assert.rejects(d.getInfo('nope'), (e: unknown) => e instanceof GuestNotFound && e.code === 404 && /nope could not be found/.test(e.message));
  });

  it('destroy removes the guest and is idempotent', async () => {
    await d.destroy(g.uuid);
    await d.destroy(g.uuid);
    await d.destroy('never-existed');
    assert.deepEqual(await d.listGuests(), []);
    await assert.rejects(d.getInfo(g.uuid), GuestNotFound);
  });

  it('power off / on, idempotent both ways', async () => {
    await d.powerOff(g.uuid, 60);
    assert.equal(await power(d, g.uuid), SHUTDOWN);
    await d.powerOff(g.uuid);
    assert.equal(await power(d, g.uuid), SHUTDOWN);
    await d.powerOn(g.uuid);
    assert.equal(await power(d, g.uuid), RUNNING);
    await d.powerOn(g.uuid);
    assert.equal(await power(d, g.uuid), RUNNING);
    await d.pause(g.uuid);
    await d.powerOff(g.uuid);
    assert.equal(await power(d, g.uuid), SHUTDOWN);
    d.simulatePowerState(g.uuid, CRASHED);
    await d.powerOn(g.uuid);
    assert.equal(await power(d, g.uuid), RUNNING);
  });

  it('pause / unpause and suspend / resume, with invalid states refused', async () => {
    await d.pause(g.uuid);
    assert.equal(await power(d, g.uuid), PAUSED);
    await d.pause(g.uuid); // already paused: no-op
    await assert.rejects(d.resume(g.uuid), GuestInvalidState);
    await d.unpause(g.uuid);
    assert.equal(await power(d, g.uuid), RUNNING);
    await d.unpause(g.uuid); // already running: no-op

    await d.suspend(g.uuid);
    assert.equal(await power(d, g.uuid), SUSPENDED);
    await assert.rejects(d.pause(g.uuid), GuestInvalidState);
    await assert.rejects(d.unpause(g.uuid), GuestInvalidState);
    await d.resume(g.uuid);
    assert.equal(await power(d, g.uuid), RUNNING);

    await d.pause(g.uuid);
    await d.suspend(g.uuid); // a paused guest can be suspended
    assert.equal(await power(d, g.uuid), SUSPENDED);
    await d.resume(g.uuid);

    await d.powerOff(g.uuid);
    await assert.rejects(d.pause(g.uuid), (e: unknown) =>
      e instanceof GuestInvalidState && e.code === 409 && e.message === `Instance ${g.uuid} in power state SHUTDOWN. Cannot pause while the instance is in this state.`);
    await assert.rejects(d.suspend(g.uuid), GuestInvalidState);
    await assert.rejects(d.unpause(g.uuid), GuestInvalidState);
    await assert.rejects(d.resume(g.uuid), GuestInvalidState);
    assert.equal(await power(d, g.uuid), SHUTDOWN);
    await assert.rejects(d.pause('nope'), GuestNotFound);
  });

  it('reboot: SOFT and HARD end RUNNING from any state; unknown guest is not found', async () => {
    await d.reboot(g.uuid, 'SOFT');
    assert.equal(await power(d, g.uuid), RUNNING);
    await d.pause(g.uuid);
    await d.reboot(g.uuid, 'HARD');
    assert.equal(await power(d, g.uuid), RUNNING);
    await d.suspend(g.uuid);
    await d.reboot(g.uuid, 'HARD');
    assert.equal(await power(d, g.uuid), RUNNING);
    await d.powerOff(g.uuid);
    await d.reboot(g.uuid, 'SOFT'); // falls back to a hard reboot
    assert.equal(await power(d, g.uuid), RUNNING);
    await assert.rejects(d.reboot('nope', 'HARD'), GuestNotFound);
    assert.match(await d.getConsoleOutput(g.uuid), /reboot: Restarting system/);
  });

  it('rescue / unrescue', async () => {
    await assert.rejects(d.unrescue(g.uuid), GuestInvalidState);
    await d.powerOff(g.uuid);
    await d.rescue(g.uuid, { id: 'rescue-img', properties: {} }, 'secret');
    assert.equal(await power(d, g.uuid), RUNNING);
    assert.equal(d.describeGuest(g.uuid)?.rescued, true);
    assert.equal(d.describeGuest(g.uuid)?.rescue_image_id, 'rescue-img');
    await assert.rejects(d.rescue(g.uuid, null, null), /already rescued/);
    await d.reboot(g.uuid, 'HARD');
    assert.equal(d.describeGuest(g.uuid)?.rescued, true, 'a rescued guest stays rescued across reboots');
    await assert.rejects(d.snapshot(g.uuid, async () => {}), GuestInvalidState);
    await d.unrescue(g.uuid);
    assert.equal(await power(d, g.uuid), RUNNING);
    assert.equal(d.describeGuest(g.uuid)?.rescued, false);
    await d.rescue(g.uuid, null, null);
    assert.equal(d.describeGuest(g.uuid)?.rescue_image_id, 'img-cirros', 'null rescue image: the guest own image');
    await d.unrescue(g.uuid);
    await d.pause(g.uuid);
    await assert.rejects(d.rescue(g.uuid, null, null), GuestInvalidState);
  });

  it('snapshot streams a deterministic payload and keeps the power state', async () => {
    await d.pause(g.uuid);
    let got: Buffer | undefined;
    await d.snapshot(g.uuid, async (data, meta) => {
      assert.deepEqual(meta, { disk_format: 'raw', container_format: 'bare' });
      got = await readAll(data);
    });
    assert.ok(got);
    assert.ok(got.length > 0 && got.length <= 65536);
    assert.deepEqual(got, snapshotPayload(g));
    assert.ok(got.toString('latin1').startsWith(`FAKE-SNAPSHOT 1\nuuid=${g.uuid}\n`));
    assert.equal(await power(d, g.uuid), PAUSED);
    await assert.rejects(d.snapshot(g.uuid, async () => { throw new Error('upload failed'); }), /upload failed/);
    await assert.rejects(d.snapshot('nope', async () => {}), GuestNotFound);
  });

  it('set admin password needs a running guest', async () => {
    await d.setAdminPassword(g.uuid, 'pw1');
    assert.equal(d.describeGuest(g.uuid)?.admin_password, 'pw1');
    await d.powerOff(g.uuid);
    await assert.rejects(d.setAdminPassword(g.uuid, 'pw2'), GuestInvalidState);
    assert.equal(d.describeGuest(g.uuid)?.admin_password, 'pw1');
  });

  it('console output, crash dump, network info', async () => {
    const out = await d.getConsoleOutput(g.uuid);
    assert.match(out, /^FAKE CONSOLE OUTPUT\n/);
    assert.match(out, /vm-1 login: /);
    await d.triggerCrashDump(g.uuid);
    assert.match(await d.getConsoleOutput(g.uuid), /NMI received/);
    assert.equal(await power(d, g.uuid), RUNNING);
    await d.powerOff(g.uuid);
    await assert.rejects(d.triggerCrashDump(g.uuid), GuestInvalidState);
    await assert.rejects(d.getConsoleOutput('nope'), GuestNotFound);
    await d.injectNetworkInfo(g.uuid);
  });

  it('guests live only in memory: a new driver for the host sees none', async () => {
    const again = await driver('h1');
    assert.deepEqual(await again.listGuests(), []);
    assert.equal(FakeDriver.forHost('h1'), again);
    await again.close();
    assert.equal(FakeDriver.forHost('h1'), undefined);
  });
});

describe('fake driver: resize, cold and live migration', () => {
  let src: FakeDriver;
  let dst: FakeDriver;
  const g = spec(7);
  const bigger = { vcpus: 2, memory_mb: 1024, root_gb: 20, ephemeral_gb: 0, swap: 0 };
  beforeEach(async () => {
    src = await driver('src');
    dst = await driver('dst');
    await src.spawn(g);
  });
  afterEach(async () => {
    await src.close();
    await dst.close();
  });

  it('resize to another host, then confirm', async () => {
    await src.migrateDiskAndPowerOff(g.uuid, 'dst', bigger);
    assert.equal(await power(src, g.uuid), SHUTDOWN);
    assert.equal(src.describeGuest(g.uuid)?.migrating_to, 'dst');
    await dst.finishMigration({ ...g, ...bigger, node: 'dst' });
    assert.equal(await power(dst, g.uuid), RUNNING);
    assert.equal(dst.describeGuest(g.uuid)?.spec.vcpus, 2);
    await src.confirmMigration(g.uuid);
    await assert.rejects(src.getInfo(g.uuid), GuestNotFound);
    await src.confirmMigration(g.uuid); // idempotent
    assert.equal(await power(dst, g.uuid), RUNNING);
  });

  it('resize to another host, then revert (a stopped guest stays stopped)', async () => {
    await src.powerOff(g.uuid);
    await src.migrateDiskAndPowerOff(g.uuid, 'dst', bigger);
    await dst.finishMigration({ ...g, ...bigger, node: 'dst' }, false);
    assert.equal(await power(dst, g.uuid), SHUTDOWN);
    await dst.destroy(g.uuid);
    await src.finishRevertMigration(g, false);
    assert.equal(await power(src, g.uuid), SHUTDOWN);
    assert.equal(src.describeGuest(g.uuid)?.migrating_to, null);
    await src.powerOn(g.uuid);
    await src.migrateDiskAndPowerOff(g.uuid, 'dst', bigger);
    await src.finishRevertMigration(g);
    assert.equal(await power(src, g.uuid), RUNNING);
  });

  it('same-host resize: finish replaces the guest, confirm keeps it', async () => {
    await src.migrateDiskAndPowerOff(g.uuid, 'src', bigger);
    await src.finishMigration({ ...g, ...bigger });
    assert.equal(src.describeGuest(g.uuid)?.spec.root_gb, 20);
    await src.confirmMigration(g.uuid);
    assert.equal(await power(src, g.uuid), RUNNING);
    assert.equal(src.guestCount, 1);
  });

  it('refuses to shrink the root disk and to finish over an unrelated guest', async () => {
    await assert.rejects(src.migrateDiskAndPowerOff(g.uuid, 'dst', { ...bigger, root_gb: 5 }), (e: unknown) =>
      e instanceof DriverError && /Unable to resize disk down/.test(e.message));
    assert.equal(await power(src, g.uuid), RUNNING, 'untouched');
    await dst.spawn(g);
    await assert.rejects(dst.finishMigration(g), GuestExists);
  });

  it('live migration moves the guest (keeping its power state) to a registered host', async () => {
    await src.pause(g.uuid);
    await src.liveMigrate(g.uuid, 'dst');
    await assert.rejects(src.getInfo(g.uuid), GuestNotFound);
    assert.equal(await power(dst, g.uuid), PAUSED);
    await dst.postLiveMigrationAtDestination({ ...g, node: 'dst' });
    assert.equal(await power(dst, g.uuid), PAUSED);
    assert.equal(dst.describeGuest(g.uuid)?.spec.node, 'dst');
  });

  it('live migration to a host of another process: the destination adopts the guest', async () => {
    await src.liveMigrate(g.uuid, 'elsewhere');
    assert.equal(src.guestCount, 0);
    const other = new FakeDriver({ vcpus: 8, memoryMb: 16384, localGb: 100, nodes: [] });
    await other.init('elsewhere-test');
    await other.postLiveMigrationAtDestination(g);
    assert.equal(await power(other, g.uuid), RUNNING);
    await other.close();
  });

  it('live migration refuses stopped guests and the same host', async () => {
    await assert.rejects(src.liveMigrate(g.uuid, 'src'), DriverError);
    await src.powerOff(g.uuid);
    await assert.rejects(src.liveMigrate(g.uuid, 'dst'), GuestInvalidState);
    assert.equal(dst.guestCount, 0);
  });
});

describe('fake driver: failure injection and delays', () => {
  afterEach(() => FakeDriver.clearInjectedFailures());

  it('programmatic: per host, per op, counted, removable; nothing is left behind', async () => {
    const h1 = await driver('fi-h1');
    const h2 = await driver('fi-h2');
    const remove = FakeDriver.injectFailure('fi-h1', 'spawn');
    await assert.rejects(h1.spawn(spec(1)), (e: unknown) =>
      e instanceof FakeDriverFailure && e instanceof DriverError && e.message === 'fake driver: spawn failed on host fi-h1 (injected)');
    assert.equal(h1.guestCount, 0);
    await h2.spawn(spec(1));
    remove();
    await h1.spawn(spec(1));

    FakeDriver.injectFailure('*', 'powerOff', 'disk on fire', { times: 1 });
    await assert.rejects(h1.powerOff(spec(1).uuid), { message: 'fake driver: power_off failed on host fi-h1: disk on fire (injected)' });
    assert.equal(await power(h1, spec(1).uuid), RUNNING);
    await h1.powerOff(spec(1).uuid);

    FakeDriver.injectFailure('fi-h2', 'destroy', undefined, { uuid: spec(2).uuid });
    await h2.spawn(spec(2));
    await assert.rejects(h2.destroy(spec(2).uuid), FakeDriverFailure);
    await h2.destroy(spec(1).uuid);
    assert.deepEqual((await h2.listGuests()).map((x) => x.uuid), [spec(2).uuid]);
    await h1.close();
    await h2.close();
  });

  it('from options: fail_spawn_on_hosts, fail_spawn_images, fail_operations', async () => {
    const opts = { failSpawnOnHosts: ['bad'], failSpawnImages: ['broken-img', 'broken-name'], failOperations: ['pause@cfg-ok', 'power_on'] };
    const bad = await driver('bad', opts);
    const ok = await driver('cfg-ok', opts);
    await assert.rejects(bad.spawn(spec(1)), { message: 'fake driver: spawn failed on host bad (injected by [fake_driver] fail_spawn_on_hosts)' });
    await assert.rejects(ok.spawn(spec(1, { image: { id: 'broken-img', properties: {} } })), /for image broken-img \(injected by \[fake_driver\] fail_spawn_images\)/);
    await assert.rejects(ok.spawn(spec(2, { image: { id: 'x', name: 'broken-name', properties: {} } })), /for image broken-name/);
    await ok.spawn(spec(3, { image: null }));
    await assert.rejects(ok.pause(spec(3).uuid), { message: 'fake driver: pause failed on host cfg-ok (injected by [fake_driver] fail_operations)' });
    await ok.powerOff(spec(3).uuid);
    await assert.rejects(ok.powerOn(spec(3).uuid), FakeDriverFailure);
    assert.equal(ok.guestCount, 1);
    assert.throws(() => new FakeDriver({ vcpus: 1, memoryMb: 1, localGb: 1, nodes: [], failOperations: ['explode'] }), ConfigError);
    await bad.close();
    await ok.close();
  });

  it('the factory passes the [fake_driver] options through', async () => {
    const { conf } = parseConfigText('[DEFAULT]\ncompute_driver = fake.FakeDriver\n[fake_driver]\nfail_spawn_on_hosts = fac-h1,fac-h2\naction_delay_ms = 1\nspawn_delay_ms = 20\n');
    const d = createComputeDriver(conf) as FakeDriver;
    await d.init('fac-h2');
    await assert.rejects(d.spawn(spec(1)), FakeDriverFailure);
    const slow = createComputeDriver(parseConfigText('[fake_driver]\nspawn_delay_ms = 20\n').conf) as FakeDriver;
    await slow.init('fac-h3');
    const t0 = Date.now();
    await slow.spawn(spec(1));
    assert.ok(Date.now() - t0 >= 15);
    await d.close();
    await slow.close();
  });

  it('power state names', () => {
    assert.equal(powerStateName(RUNNING), 'RUNNING');
    assert.equal(powerStateName(2), 'UNKNOWN(2)');
  });
});

describe('fake driver: scale', () => {
  it('spawns, lists and destroys 5,000 guests', async () => {
    const d = await driver('scale-h1');
    const n = 5000;
    for (let i = 0; i < n; i++) await d.spawn(spec(i));
    const all = await d.listGuests();
    assert.equal(all.length, n);
    assert.ok(all.every((x) => x.power_state === RUNNING));
    await Promise.all(all.slice(0, 1000).map((x) => d.destroy(x.uuid)));
    assert.equal(d.guestCount, n - 1000);
    await d.close();
  });
});
