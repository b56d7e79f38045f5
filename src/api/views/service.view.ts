import type { ServiceRecord } from '../../objects/service.object';
import { ApiVersion, atLeast } from '../microversion/api-version';
import { isoMicro } from './format';

export interface ServiceViewInput {
  service: ServiceRecord;
  zone: string;
  up: boolean;
}

/** One os-services item at the request's version. */
export function serviceView(v: ApiVersion, { service, zone, up }: ServiceViewInput) {
  const body: Record<string, unknown> = {
    id: atLeast(v, '2.53') ? service.uuid : service.id,
    binary: service.binary,
    host: service.host,
    zone,
    status: service.disabled ? 'disabled' : 'enabled',
    state: up ? 'up' : 'down',
    updated_at: isoMicro(service.updated_at),
    disabled_reason: service.disabled_reason,
  };
  if (atLeast(v, '2.11')) body.forced_down = service.forced_down;
  return body;
}
