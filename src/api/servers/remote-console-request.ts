/**
 * `POST /servers/{id}/remote-consoles` body validation (nova/api/openstack/compute/schemas/
 * remote_consoles.py `create_v26`, `create_v28`, `create_v299`), pure.
 */
import type { ApiVersion } from '../microversion/api-version';
import { atLeast } from '../microversion/api-version';
import { allOf, enumCheck, typeCheck } from '../validation/nova-validators';
import { objectCheck, runCheck } from './create-request';

export type RemoteConsoleProtocol = 'vnc' | 'spice' | 'serial' | 'rdp' | 'mks';

export interface RemoteConsoleRequest {
  protocol: RemoteConsoleProtocol;
  type: string;
}

export function remoteConsoleEnums(v: ApiVersion): { protocols: string[]; types: string[] } {
  const protocols = ['vnc', 'spice', 'serial', 'rdp'];
  const types = ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5'];
  if (atLeast(v, '2.8')) {
    protocols.push('mks');
    types.push('webmks');
  }
  if (atLeast(v, '2.99')) types.push('spice-direct');
  return { protocols, types };
}

/** The validated request; 400 with Nova's jsonschema message otherwise. */
export function parseRemoteConsole(body: unknown, v: ApiVersion): RemoteConsoleRequest {
  const { protocols, types } = remoteConsoleEnums(v);
  const inner = objectCheck({
    protocol: allOf(typeCheck('string'), enumCheck(protocols)),
    type: allOf(typeCheck('string'), enumCheck(types)),
  }, { required: ['protocol', 'type'] });
  runCheck(body, objectCheck({ remote_console: inner }, { required: ['remote_console'] }));
  const rc = (body as { remote_console: { protocol: RemoteConsoleProtocol; type: string } }).remote_console;
  return { protocol: rc.protocol, type: rc.type };
}
