/**
 * Availability zones, as Nova derives them (nova/availability_zones.py,
 * api/openstack/compute/availability_zone.py, AggregateAPI.is_safe_to_update_az): a compute
 * service is in the zone(s) named by the `availability_zone` metadata of its host's aggregates,
 * else in `default_availability_zone`; every other service is in
 * `internal_service_availability_zone`. Pure: no framework, no I/O.
 */
import { Invalid } from '../common/errors';
import { AZ_METADATA_KEY } from '../objects/aggregate.object';
import { ServiceRecord } from '../objects/service.object';

export interface ZoneOptions {
  default_availability_zone: string;
  internal_service_availability_zone: string;
}

export const DEFAULT_ZONE_OPTIONS: ZoneOptions = { default_availability_zone: 'nova', internal_service_availability_zone: 'internal' };

/** What these functions need of an aggregate; an AggregateRecord fits. */
export interface AggregateZoneInfo {
  id: number;
  name?: string;
  hosts: string[];
  metadata: Record<string, string>;
}

export type ServiceWithZone = ServiceRecord & { availability_zone: string };

export interface ZoneServiceState {
  available: boolean;
  active: boolean;
  updated_at: string | null;
}

/** One entry of `GET /os-availability-zone[/detail]`. */
export interface AvailabilityZoneInfo {
  zoneName: string;
  zoneState: { available: boolean };
  hosts: Record<string, Record<string, ZoneServiceState>> | null;
}

/** API services are left out of the detailed listing, as Nova does. */
const API_BINARIES = new Set(['nova-osapi_compute', 'nova-metadata', 'nova-api']);

export function isComputeService(svc: Pick<ServiceRecord, 'binary' | 'topic'>): boolean {
  return svc.topic === 'compute' || svc.binary === 'nova-compute';
}

/** host → the sorted, distinct zone names its aggregates give it (empty: none). */
export function zonesByHost(aggregates: AggregateZoneInfo[]): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const agg of aggregates) {
    const az = agg.metadata[AZ_METADATA_KEY];
    if (az === undefined) continue;
    for (const host of agg.hosts) {
      if (!sets.has(host)) sets.set(host, new Set());
      sets.get(host)!.add(az);
    }
  }
  return new Map([...sets].map(([host, zones]) => [host, [...zones].sort()]));
}

/** The zone of a compute host (an instance's zone once it lands there). */
export function hostAvailabilityZone(host: string, aggregates: AggregateZoneInfo[], opts: ZoneOptions): string {
  return zonesByHost(aggregates).get(host)?.[0] ?? opts.default_availability_zone;
}

/** The zone shown for a service (os-services `zone`); several zones join with ',' as in Nova. */
export function serviceZone(svc: ServiceRecord, byHost: Map<string, string[]>, opts: ZoneOptions): string {
  if (!isComputeService(svc)) return opts.internal_service_availability_zone;
  const zones = byHost.get(svc.host);
  return zones && zones.length > 0 ? zones.join(',') : opts.default_availability_zone;
}

export function servicesWithZones(services: ServiceRecord[], aggregates: AggregateZoneInfo[], opts: ZoneOptions): ServiceWithZone[] {
  const byHost = zonesByHost(aggregates);
  return services.map((svc) => ({ ...svc, availability_zone: serviceZone(svc, byHost, opts) }));
}

/**
 * Nova's `get_availability_zones`: a zone is available when some enabled service is in it;
 * zones that only disabled services are in are not available. Both lists sorted.
 */
export function zoneAvailability(services: ServiceRecord[], aggregates: AggregateZoneInfo[], opts: ZoneOptions): { available: string[]; notAvailable: string[] } {
  const zoned = servicesWithZones(services, aggregates, opts);
  const available = new Set(zoned.filter((s) => !s.disabled).map((s) => s.availability_zone));
  const notAvailable = new Set(zoned.filter((s) => s.disabled && !available.has(s.availability_zone)).map((s) => s.availability_zone));
  return { available: [...available].sort(), notAvailable: [...notAvailable].sort() };
}

/** Zones a server may be created in (`The requested availability zone is not available` otherwise). */
export function availableZonesForCreate(services: ServiceRecord[], aggregates: AggregateZoneInfo[], opts: ZoneOptions): string[] {
  return zoneAvailability(services, aggregates, opts).available;
}

/** `GET /os-availability-zone`: available zones then unavailable ones; the internal zone hidden. */
export function listAvailabilityZones(services: ServiceRecord[], aggregates: AggregateZoneInfo[], opts: ZoneOptions): AvailabilityZoneInfo[] {
  const { available, notAvailable } = zoneAvailability(services, aggregates, opts);
  const entry = (zoneName: string, ok: boolean): AvailabilityZoneInfo => ({ zoneName, zoneState: { available: ok }, hosts: null });
  const visible = (z: string) => z !== opts.internal_service_availability_zone;
  return [...available.filter(visible).map((z) => entry(z, true)), ...notAvailable.filter(visible).map((z) => entry(z, false))];
}

/**
 * `GET /os-availability-zone/detail`: every zone, the internal one included; available zones
 * list their hosts' enabled non-API services with liveness (`available`) and `active`.
 */
export function listAvailabilityZonesDetail(
  services: ServiceRecord[],
  aggregates: AggregateZoneInfo[],
  opts: ZoneOptions,
  isUp: (svc: ServiceRecord) => boolean,
): AvailabilityZoneInfo[] {
  const { available, notAvailable } = zoneAvailability(services, aggregates, opts);
  const zoned = servicesWithZones(services, aggregates, opts).filter((s) => !s.disabled && !API_BINARIES.has(s.binary));
  const result: AvailabilityZoneInfo[] = available.map((zoneName) => {
    const hosts: Record<string, Record<string, ZoneServiceState>> = {};
    const inZone = zoned.filter((s) => s.availability_zone === zoneName).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    for (const svc of inZone) {
      (hosts[svc.host] ??= {})[svc.binary] = { available: isUp(svc), active: !svc.disabled, updated_at: svc.updated_at };
    }
    return { zoneName, zoneState: { available: true }, hosts };
  });
  return result.concat(notAvailable.map((zoneName) => ({ zoneName, zoneState: { available: false }, hosts: null })));
}

export interface ParsedAvailabilityZone {
  availability_zone: string | null;
  forced_host: string | null;
  forced_node: string | null;
}

/**
 * Nova's `parse_availability_zone`: the legacy `az:host`, `az::node` and `az:host:node` forms
 * (admin only; the caller checks policy). No zone → `default_schedule_zone`.
 */
export function parseAvailabilityZone(requested: string | null | undefined, defaultScheduleZone: string | null = null): ParsedAvailabilityZone {
  let az: string | null = requested ?? null;
  let host: string | null = null;
  let node: string | null = null;
  if (az && az.includes(':')) {
    const colons = az.split(':').length - 1;
    if (colons === 1) [az, host] = az.split(':');
    else if (colons === 2 && az.includes('::')) [az, node] = az.split('::');
    else if (colons === 2) [az, host, node] = az.split(':');
    else throw new Invalid('Invalid input received: Unable to parse availability_zone');
  }
  return { availability_zone: az || defaultScheduleZone, forced_host: host || null, forced_node: node || null };
}

// ---- Aggregate zone consistency (AggregateAPI.is_safe_to_update_az and friends) ----

/** Python's repr() of a list of strings, as Nova interpolates lists in messages. */
export function pyListRepr(items: string[]): string {
  const one = (s: string) => {
    const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
    const body = s.replace(/\\/g, '\\\\').replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
    return `${quote}${body}${quote}`;
  };
  return `[${items.map(one).join(', ')}]`;
}

export interface AzChangeCheck {
  /** The aggregate being changed. */
  aggregate: AggregateZoneInfo & { name: string };
  /** Requested metadata or updates; only the `availability_zone` key matters. */
  metadata: Record<string, string | null | undefined>;
  /** Hosts whose zone would change (add_host: the new host); empty/absent: the aggregate's. */
  hosts?: string[];
  /** Aggregates to compare with: all of them, or at least those holding `hosts`. */
  aggregates: AggregateZoneInfo[];
  /** Instances on `hosts`, when the caller counted them (update and set_metadata do). */
  instancesOnHosts?: number;
  /** A zone name refused outright (not a Nova rule; e.g. internal_service_availability_zone). */
  reservedZone?: string;
}

/**
 * Why a change of the aggregate's zone is refused, or null when it is allowed: an empty zone
 * name; a zone other hosts' aggregates contradict (a host is in at most one zone); a zone change
 * that would move instances. The caller wraps the reason with `aggregateActionError`.
 */
export function azChangeRefusal(check: AzChangeCheck): string | null {
  if (!(AZ_METADATA_KEY in check.metadata)) return null;
  const az = check.metadata[AZ_METADATA_KEY];
  if (!az) return `Aggregate ${check.aggregate.name} does not support empty named availability zone`;
  if (check.reservedZone !== undefined && az === check.reservedZone) {
    return `Availability zone ${az} is reserved for internal services`;
  }
  const hosts = new Set(check.hosts && check.hosts.length > 0 ? check.hosts : check.aggregate.hosts);
  const conflicting = check.aggregates
    .filter((a) => a.id !== check.aggregate.id && AZ_METADATA_KEY in a.metadata && a.metadata[AZ_METADATA_KEY] !== az)
    .filter((a) => a.hosts.some((h) => hosts.has(h)))
    .map((a) => a.metadata[AZ_METADATA_KEY]);
  if (conflicting.length > 0) return `One or more hosts already in availability zone(s) ${pyListRepr(conflicting)}`;
  const current = check.aggregate.metadata[AZ_METADATA_KEY];
  if (check.instancesOnHosts && current !== az) return 'One or more hosts contain instances in this zone';
  return null;
}

const MOVE_ADVICE =
  'Changing the AZ of an existing instance is not supported by this action. Move the instances away from this host then ' +
  'try again. If you need to move the instances between AZs then you can use shelve_offload and unshelve to achieve this.';

function pyStr(v: string | null | undefined): string {
  return v === null || v === undefined ? 'None' : v;
}

/** Refuses adding a host with instances to an aggregate that would change the host's zone. */
export function hostAddRefusal(aggregate: AggregateZoneInfo, hostAggregates: AggregateZoneInfo[], instances: number): string | null {
  const newAz = aggregate.metadata[AZ_METADATA_KEY];
  if (!instances || !newAz) return null;
  const oldAz = hostAggregates.find((a) => AZ_METADATA_KEY in a.metadata)?.metadata[AZ_METADATA_KEY] ?? null;
  if (oldAz === newAz) return null;
  return `The host cannot be added to the aggregate as the availability zone of the host would change from '${pyStr(oldAz)}' to '${newAz}' but the host already has ${instances} instance(s). ${MOVE_ADVICE}`;
}

/** Refuses removing a host with instances from an aggregate when that changes the host's zone. */
export function hostRemoveRefusal(aggregate: AggregateZoneInfo, hostAggregates: AggregateZoneInfo[], instances: number): string | null {
  const current = aggregate.metadata[AZ_METADATA_KEY];
  if (!instances || !current) return null;
  const other = hostAggregates.find((a) => a.id !== aggregate.id && AZ_METADATA_KEY in a.metadata)?.metadata[AZ_METADATA_KEY] ?? null;
  if (other === current) return null;
  return `The host cannot be removed from the aggregate as the availability zone of the host would change from '${current}' to '${pyStr(other)}' but the host already has ${instances} instance(s). ${MOVE_ADVICE}`;
}
