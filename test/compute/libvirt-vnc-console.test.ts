/** The libvirt driver's VNC console: `virsh vncdisplay` → host and port, errors in the driver contract's terms. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsoleTypeUnavailable } from '../../src/consoleauth/console-errors';
import { DriverError, GuestNotFound } from '../../src/compute/driver/compute-driver';
import { libvirtVncConsole } from '../../src/compute/drivers/libvirt/vnc-console';
import { Virsh, VirshError } from '../../src/compute/drivers/libvirt/virsh';

const virshAnswering = (answer: () => Promise<{ host: string; port: number } | null>) => ({ vncDisplay: answer }) as unknown as Virsh;

describe('libvirt getVncConsole', () => {
  it('the proxy client address and 5900 + display; the listen address without one', async () => {
    const v = virshAnswering(() => Promise.resolve({ host: '127.0.0.1', port: 5903 }));
    assert.deepEqual(await libvirtVncConsole(v, 'u1', '10.0.0.5'), { host: '10.0.0.5', port: 5903, internal_access_path: null });
    assert.deepEqual(await libvirtVncConsole(v, 'u1', undefined), { host: '127.0.0.1', port: 5903, internal_access_path: null });
    assert.deepEqual(await libvirtVncConsole(v, 'u1', ' '), { host: '127.0.0.1', port: 5903, internal_access_path: null });
  });

  it('no graphics: Unavailable console type vnc; an unknown domain: GuestNotFound; other failures: DriverError', async () => {
    await assert.rejects(libvirtVncConsole(virshAnswering(() => Promise.resolve(null)), 'u1', '127.0.0.1'), ConsoleTypeUnavailable);
    const notFound = Object.assign(Object.create(VirshError.prototype) as VirshError, { notFound: true, virshMessage: 'no domain' });
    await assert.rejects(libvirtVncConsole(virshAnswering(() => Promise.reject(notFound)), 'u1', '127.0.0.1'), GuestNotFound);
    const other = Object.assign(Object.create(VirshError.prototype) as VirshError, { notFound: false, virshMessage: 'Requested operation is not valid: domain is not running' });
    await assert.rejects(libvirtVncConsole(virshAnswering(() => Promise.reject(other)), 'u1', '127.0.0.1'), (e: unknown) => e instanceof DriverError && /domain is not running/.test(e.message));
  });
});
