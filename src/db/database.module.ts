import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NOVA_CONF, API_DB, MAIN_DB } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { DatabaseName, openDataSource, resolveDbTarget } from './data-source';
import { AggregateRepository } from './repositories/aggregate.repository';
import { AllocationRepository } from './repositories/allocation.repository';
import { InstanceActionRepository } from './repositories/instance-action.repository';
import { InstanceRepository } from './repositories/instance.repository';
import { MigrationRepository } from './repositories/migration.repository';
import { ImageRepository } from './repositories/image.repository';
import { UsageReportRepository } from './repositories/usage-report.repository';
import { ComputeNodeRepository } from './repositories/compute-node.repository';
import { FlavorRepository } from './repositories/flavor.repository';
import { InstanceUsageRepository } from './repositories/instance-usage.repository';
import { KeyPairRepository } from './repositories/keypair.repository';
import { QuotaRepository } from './repositories/quota.repository';
import { ServerGroupRepository } from './repositories/server-group.repository';
import { ServiceRepository } from './repositories/service.repository';
import { assertSchemaCurrent, syncSchema } from './schema';

/** Opens one database, checks its schema (an in-memory one is created on the spot: nothing else could sync it). */
export async function openCheckedDatabase(name: DatabaseName, conf: NovaConf): Promise<DataSource> {
  const section = name === 'main' ? conf.database : conf.api_database;
  const target = resolveDbTarget(name, { connection: section.connection, statePath: conf.DEFAULT.state_path });
  const ds = await openDataSource(name, target, section.max_pool_size);
  try {
    if (target.engine === 'sqlite' && target.memory) await syncSchema(ds);
    else await assertSchemaCurrent(ds, name);
  } catch (err) {
    await ds.destroy();
    throw err;
  }
  return ds;
}

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('db');
  constructor(@Inject(MAIN_DB) private readonly main: DataSource, @Inject(API_DB) private readonly api: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    for (const ds of [this.main, this.api]) {
      if (ds.isInitialized) await ds.destroy().catch((e: unknown) => this.logger.warn(`closing the database: ${String(e)}`));
    }
  }
}

/** The databases, for processes whose roles use them (never nova-compute). Only repositories touch TypeORM. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: MAIN_DB, inject: [NOVA_CONF], useFactory: (conf: NovaConf) => openCheckedDatabase('main', conf) },
        { provide: API_DB, inject: [NOVA_CONF], useFactory: (conf: NovaConf) => openCheckedDatabase('api', conf) },
        { provide: ServiceRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new ServiceRepository(ds) },
        { provide: ComputeNodeRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new ComputeNodeRepository(ds) },
        {
          provide: AggregateRepository,
          inject: [API_DB, NOVA_CONF],
          useFactory: (ds: DataSource, conf: NovaConf) => new AggregateRepository(ds, { reservedZone: conf.DEFAULT.internal_service_availability_zone }),
        },
        { provide: ServerGroupRepository, inject: [API_DB], useFactory: (ds: DataSource) => new ServerGroupRepository(ds) },
        { provide: FlavorRepository, inject: [API_DB], useFactory: (ds: DataSource) => new FlavorRepository(ds) },
        { provide: KeyPairRepository, inject: [API_DB], useFactory: (ds: DataSource) => new KeyPairRepository(ds) },
        { provide: QuotaRepository, inject: [API_DB, NOVA_CONF], useFactory: (ds: DataSource, conf: NovaConf) => new QuotaRepository(ds, conf.quota) },
        { provide: InstanceUsageRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new InstanceUsageRepository(ds) },
        { provide: InstanceRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new InstanceRepository(ds) },
        { provide: InstanceActionRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new InstanceActionRepository(ds) },
        { provide: AllocationRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new AllocationRepository(ds) },
        { provide: ImageRepository, inject: [API_DB], useFactory: (ds: DataSource) => new ImageRepository(ds) },
        { provide: UsageReportRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new UsageReportRepository(ds) },
        { provide: MigrationRepository, inject: [MAIN_DB], useFactory: (ds: DataSource) => new MigrationRepository(ds) },
        DatabaseLifecycle,
      ],
      exports: [
        MAIN_DB, API_DB, ServiceRepository, ComputeNodeRepository, AggregateRepository, ServerGroupRepository, FlavorRepository,
        KeyPairRepository, QuotaRepository, InstanceUsageRepository, InstanceRepository, InstanceActionRepository,
        AllocationRepository, ImageRepository, MigrationRepository, UsageReportRepository,
      ],
    };
  }
}
