import type { AggregateRecord } from '../../objects/aggregate.object';
import { ApiVersion, atLeast } from '../microversion/api-version';
import { isoMicro } from './format';

export function aggregateView(v: ApiVersion, a: AggregateRecord, withHostsAndMetadata = true) {
  const body: Record<string, unknown> = {
    availability_zone: a.availability_zone,
    created_at: isoMicro(a.created_at),
    deleted: false,
    deleted_at: null,
    id: a.id,
    name: a.name,
    updated_at: isoMicro(a.updated_at),
  };
  if (withHostsAndMetadata) {
    body.hosts = a.hosts;
    body.metadata = a.metadata;
  }
  if (atLeast(v, '2.41')) body.uuid = a.uuid;
  return body;
}
