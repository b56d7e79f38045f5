import { Inject, Injectable } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { AggregateRepository } from '../db/repositories/aggregate.repository';
import { ServiceRepository } from '../db/repositories/service.repository';
import type { ServiceRecord } from '../objects/service.object';
import { hostAvailabilityZone, isComputeService, listAvailabilityZones, listAvailabilityZonesDetail, ZoneOptions } from '../servicegroup/availability-zones';
import { isServiceUp } from '../servicegroup/liveness';

/** Availability zones and service liveness as the API shows them (services + aggregates + options). */
@Injectable()
export class ZonesService {
  constructor(
    private readonly services: ServiceRepository,
    private readonly aggregates: AggregateRepository,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  get options(): ZoneOptions {
    return {
      default_availability_zone: this.conf.DEFAULT.default_availability_zone,
      internal_service_availability_zone: this.conf.DEFAULT.internal_service_availability_zone,
    };
  }

  isUp(svc: ServiceRecord): boolean {
    return isServiceUp(svc, this.conf.DEFAULT.service_down_time);
  }

  /** host → zone for the given services (one aggregate query for all). */
  async zoneLookup(): Promise<(svc: ServiceRecord) => string> {
    const aggs = await this.aggregates.list();
    return (svc) => (isComputeService(svc) ? hostAvailabilityZone(svc.host, aggs, this.options) : this.options.internal_service_availability_zone);
  }

  async list() {
    return listAvailabilityZones(await this.services.list(), await this.aggregates.list(), this.options);
  }

  async detail() {
    return listAvailabilityZonesDetail(await this.services.list(), await this.aggregates.list(), this.options, (s) => this.isUp(s));
  }

  /** Whether a compute service runs on the host (aggregates only take compute hosts). */
  async computeHostExists(host: string): Promise<boolean> {
    return (await this.services.list({ host, binary: 'nova-compute' })).length > 0;
  }
}
