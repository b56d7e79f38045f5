import { DynamicModule, Global, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { ApiModule } from './api/api.module';
import { baseApiController } from './baseapi/base-api.controller';
import { ProcessInfo } from './common/process-info';
import { MESSAGE_BUS, NOVA_CONF, PROCESS_INFO } from './common/tokens';
import type { NovaConf } from './config/options';
import { ConductorManager } from './conductor/conductor.manager';
import { ConductorRpcClient } from './conductor/conductor.rpc-client';
import { ComputeTaskManager } from './conductor/compute-task.manager';
import { InstanceObjectsManager } from './conductor/instance-objects.manager';
import { BuildService } from './compute/build.service';
import { ImageDownloader } from './compute/image-download';
import { InstanceRunner } from './compute/instance-runner';
import { PowerActionsService } from './compute/power-actions.service';
import { ComputeReconciler } from './compute/compute-reconciler';
import { COMPUTE_DRIVER, createComputeDriver } from './compute/driver-factory';
import { ResourceTracker } from './compute/resource-tracker';
import { ComputeManager } from './compute/compute.manager';
import { ComputeRpcClient } from './compute/compute.rpc-client';
import { HostManager } from './scheduler/host-manager';
import { SchedulerManager } from './scheduler/scheduler.manager';
import { SchedulerRpcClient } from './scheduler/scheduler.rpc-client';
import { DatabaseModule } from './db/database.module';
import { Role, ROLE_SPECS, rolesNeedDatabase } from './roles';
import type { MessageBus } from './rpc/message-bus';
import { HeartbeatService } from './servicegroup/heartbeat.service';
import { MoveObjectsManager } from './conductor/move-objects.manager';
import { MoveTaskManager } from './conductor/move-task.manager';
import { MoveTaskRpcClient } from './conductor/move-task.rpc-client';
import { ResizeAutoConfirm } from './conductor/resize-auto-confirm';
import { ComputeMoveManager } from './compute/compute-move.manager';
import { ComputeMoveRpcClient } from './compute/compute-move.rpc-client';
import { LiveMigrationService } from './compute/live-migration.service';
import { MoveService } from './compute/move.service';
import { ImageTaskManager } from './conductor/image-task.manager';
import { ImageTaskRpcClient } from './conductor/image-task.rpc-client';
import { ComputeImageManager } from './compute/compute-image.manager';
import { ComputeImageRpcClient } from './compute/compute-image.rpc-client';
import { RebuildService } from './compute/rebuild.service';
import { ShelveService } from './compute/shelve.service';
import { SnapshotService } from './compute/snapshot.service';
import { ComputeConsoleManager } from './compute/compute-console.manager';
import { ComputeConsoleRpcClient } from './compute/compute-console.rpc-client';
import { ConsoleAuthManager } from './consoleauth/consoleauth.manager';
import { ConsoleAuthTokenStore } from './consoleauth/console-auth-token.store';

/** Values every module may inject: configuration, this process's identity, the bus, RPC clients. */
@Global()
@Module({})
class CoreModule {
  static forRoot(conf: NovaConf, info: ProcessInfo, bus: MessageBus): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: NOVA_CONF, useValue: conf },
        { provide: PROCESS_INFO, useValue: info },
        { provide: MESSAGE_BUS, useValue: bus },
        ConductorRpcClient,
        ComputeRpcClient,
        SchedulerRpcClient,
        HeartbeatService,
        ComputeMoveRpcClient,
        MoveTaskRpcClient,
      ],
      exports: [NOVA_CONF, PROCESS_INFO, MESSAGE_BUS, ConductorRpcClient, ComputeRpcClient, SchedulerRpcClient, HeartbeatService, ComputeMoveRpcClient, MoveTaskRpcClient],
    };
  }
}

/** What each role adds to the process. Later issues grow these (API controllers, managers, ...). */
function roleModule(role: Role): ModuleMetadata {
  const topic = ROLE_SPECS[role].topic;
  const controllers: Type<unknown>[] = topic ? [baseApiController(topic)] : [];
  if (role === 'conductor') controllers.push(ConductorManager, InstanceObjectsManager, ComputeTaskManager);
  if (role === 'compute') controllers.push(ComputeManager);
  if (role === 'scheduler') controllers.push(SchedulerManager);
  const providers: Provider[] =
    role === 'compute'
      ? [
          { provide: COMPUTE_DRIVER, inject: [NOVA_CONF], useFactory: (conf: NovaConf) => createComputeDriver(conf) },
          ResourceTracker, InstanceRunner, ImageDownloader, BuildService, PowerActionsService, ComputeReconciler,
        ]
      : role === 'scheduler' ? [HostManager] : [];
  // Image operations: snapshot, backup, shelve/unshelve, user rebuild.
  if (role === 'conductor') {
    controllers.push(ImageTaskManager);
    providers.push(ComputeImageRpcClient);
  }
  if (role === 'compute') {
    controllers.push(ComputeImageManager);
    providers.push(ImageTaskRpcClient, SnapshotService, ShelveService, RebuildService);
  }
  // Moves: resize, cold and live migration, evacuation.
  if (role === 'conductor') {
    controllers.push(MoveObjectsManager, MoveTaskManager);
    providers.push(ResizeAutoConfirm);
  }
  if (role === 'compute') {
    controllers.push(ComputeMoveManager);
    providers.push(MoveService, LiveMigrationService);
  }
  // Consoles: the compute says where a guest's console is; consoleauth checks tokens for the proxy.
  if (role === 'compute') controllers.push(ComputeConsoleManager);
  if (role === 'consoleauth') {
    controllers.push(ConsoleAuthManager);
    providers.push(ConsoleAuthTokenStore, ComputeConsoleRpcClient);
  }
  return { controllers, providers, imports: role === 'api' ? [ApiModule] : [] };
}

@Module({})
export class AppModule {
  /**
   * The process for the given roles. The bus is created before Nest (the transport strategy
   * needs it first) and closed after it, by main.ts.
   */
  static forRoles(conf: NovaConf, info: ProcessInfo, bus: MessageBus): DynamicModule {
    const imports: ModuleMetadata['imports'] = [CoreModule.forRoot(conf, info, bus)];
    if (rolesNeedDatabase(info.roles)) imports.push(DatabaseModule.forRoot());
    const parts = info.roles.map(roleModule);
    return {
      module: AppModule,
      imports: [...imports, ...parts.flatMap((p) => p.imports ?? [])],
      controllers: parts.flatMap((p) => p.controllers ?? []),
      providers: parts.flatMap((p) => p.providers ?? []),
    };
  }
}
