import type { NovaConf } from '../config/options';
import { openCheckedDatabase } from '../db/database.module';
import { ServiceRepository } from '../db/repositories/service.repository';
import { isServiceUp } from '../servicegroup/liveness';
import { renderTable } from './table';

/** `nova service list`: every live service row with its up/down state, as `openstack compute service list` shows it. */
export async function serviceListCommand(conf: NovaConf, print: (line: string) => void): Promise<void> {
  const ds = await openCheckedDatabase('main', conf);
  try {
    const services = await new ServiceRepository(ds).list();
    const now = Date.now();
    const rows = services.map((s) => [
      s.id,
      s.binary,
      s.host,
      s.binary === 'nova-compute' ? conf.DEFAULT.default_availability_zone : conf.DEFAULT.internal_service_availability_zone,
      s.disabled ? 'disabled' : 'enabled',
      isServiceUp(s, conf.DEFAULT.service_down_time, now) ? 'up' : 'down',
      s.updated_at ?? s.created_at,
      s.forced_down,
    ]);
    print(renderTable(['ID', 'Binary', 'Host', 'Zone', 'Status', 'State', 'Updated At', 'Forced Down'], rows));
  } finally {
    await ds.destroy();
  }
}
