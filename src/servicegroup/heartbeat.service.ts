import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { ProcessInfo } from '../common/process-info';
import { NOVA_CONF, PROCESS_INFO } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import { ServiceRegistration, ServiceRepository } from '../db/repositories/service.repository';
import { SERVICE_VERSION, ServiceRecord } from '../objects/service.object';
import { Role, ROLE_SPECS } from '../roles';

/** How a role reaches its service record: directly, or through the conductor when it has no database. */
interface ServiceReporter {
  register(reg: ServiceRegistration): Promise<ServiceRecord>;
  report(id: number): Promise<ServiceRecord>;
}

/**
 * Registers a `services` row for every role of this process and heartbeats each one every
 * `report_interval` seconds. Roles without a database (nova-compute, the console proxy) do both
 * through conductor RPC and wait for a conductor to answer first, as Nova's compute does.
 */
@Injectable()
export class HeartbeatService implements OnModuleDestroy {
  private readonly logger = new Logger('servicegroup');
  private readonly records = new Map<Role, ServiceRecord>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private beating = false;
  /** Per role: what must answer before the role reports itself alive (the compute's hypervisor). */
  private readonly healthChecks = new Map<Role, () => Promise<void>>();
  /** Roles whose last health check failed (logged once per outage). */
  private readonly unhealthy = new Set<Role>();

  constructor(
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    @Inject(PROCESS_INFO) private readonly info: ProcessInfo,
    private readonly conductor: ConductorRpcClient,
    @Optional() private readonly repository?: ServiceRepository,
  ) {}

  /** Registers every role (retrying while the conductor is unreachable), then starts heartbeats. */
  async start(): Promise<void> {
    await Promise.all(this.info.roles.map((role) => this.registerWithRetry(role)));
    if (this.stopped) return;
    this.timer = setInterval(() => void this.beat(), this.conf.DEFAULT.report_interval * 1000);
    this.timer.unref();
    await this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  onModuleDestroy(): void {
    this.stop();
  }

  /**
   * Makes `role` heartbeat only while `check` resolves: a nova-compute whose hypervisor host
   * cannot be reached stops reporting itself alive, so the servicegroup shows it down (and the
   * scheduler skips it) after service_down_time, and it comes back up with the first heartbeat
   * once the check passes again.
   */
  setHealthCheck(role: Role, check: () => Promise<void>): void {
    this.healthChecks.set(role, check);
  }

  /** The rows this process registered (for logs and tests). */
  registered(): ServiceRecord[] {
    return [...this.records.values()];
  }

  private reporterFor(role: Role): ServiceReporter {
    if (ROLE_SPECS[role].usesDatabase) {
      const repo = this.repository;
      if (!repo) throw new Error(`role ${role} needs the database module`);
      return { register: (reg) => repo.register(reg), report: (id) => repo.reportAlive(id) };
    }
    const timeoutMs = Math.min(this.conf.DEFAULT.rpc_response_timeout, 10) * 1000;
    return {
      register: (reg) => this.conductor.service_register(reg, timeoutMs),
      report: (id) => this.conductor.service_report(id, timeoutMs),
    };
  }

  private async registerWithRetry(role: Role): Promise<void> {
    const spec = ROLE_SPECS[role];
    const reg: ServiceRegistration = { host: this.info.host, binary: spec.binary, topic: spec.topic, version: SERVICE_VERSION };
    const reporter = this.reporterFor(role);
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const rec = await reporter.register(reg);
        this.records.set(role, rec);
        this.logger.log(`${spec.binary} registered on host ${this.info.host} (service id ${rec.id})`);
        return;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        this.logger.warn(`${spec.binary}: cannot register yet (attempt ${attempt}): ${msg}; retrying`);
        await sleep(Math.min(1000 * attempt, 10_000));
      }
    }
  }

  /** Runs the role's health check (none: healthy); logs the start and the end of an outage once each. */
  private async healthy(role: Role, binary: string): Promise<boolean> {
    const check = this.healthChecks.get(role);
    if (!check) return true;
    try {
      await check();
    } catch (err) {
      if (!this.unhealthy.has(role)) {
        this.unhealthy.add(role);
        this.logger.error(`${binary}: not reporting alive (the service will show down): ${err instanceof Error ? err.message : String(err)}`);
      }
      return false;
    }
    if (this.unhealthy.delete(role)) this.logger.log(`${binary}: healthy again, reporting alive`);
    return true;
  }

  private async beat(): Promise<void> {
    if (this.beating || this.stopped) return;
    this.beating = true;
    try {
      await Promise.all(
        [...this.records].map(async ([role, rec]) => {
          if (!(await this.healthy(role, rec.binary))) return;
          try {
            this.records.set(role, await this.reporterFor(role).report(rec.id));
          } catch (err) {
            // Nova logs and keeps going: the service shows down until a heartbeat gets through again.
            this.logger.warn(`${rec.binary}: heartbeat failed: ${err instanceof Error ? err.message : String(err)}`);
          }
        }),
      );
    } finally {
      this.beating = false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
