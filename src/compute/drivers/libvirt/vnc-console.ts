/**
 * The VNC console of a libvirt guest (Nova's `LibvirtDriver.get_vnc_console`): libvirt picks the
 * display (`autoport`), so the port is read back from the running domain (`virsh vncdisplay`,
 * 5900 + display). The proxy connects to `[vnc] server_proxyclient_address` (this compute as the
 * proxy sees it), or to the address the VNC server listens on when that is unset.
 */
import { ConsoleTypeUnavailable } from '../../../consoleauth/console-errors';
import { DriverError, GuestNotFound, type ConsoleConnectInfo } from '../../driver/compute-driver';
import { Virsh, VirshError } from './virsh';

export async function libvirtVncConsole(virsh: Virsh, uuid: string, proxyclientAddress: string | undefined): Promise<ConsoleConnectInfo> {
  let display: { host: string; port: number } | null;
  try {
    display = await virsh.vncDisplay(uuid);
  } catch (e) {
    if (e instanceof VirshError && e.notFound) throw new GuestNotFound(uuid);
    const detail = e instanceof VirshError ? e.virshMessage : e instanceof Error ? e.message : String(e);
    throw new DriverError(`libvirt: the VNC display of instance ${uuid} is unknown: ${detail}`, 'getVncConsole');
  }
  if (!display) throw ConsoleTypeUnavailable.forType('vnc');
  const host = proxyclientAddress?.trim() || display.host;
  return { host, port: display.port, internal_access_path: null };
}
