import { Module } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { AUTH_STRATEGY, createAuthStrategy } from './auth/auth-strategy.provider';
import { PolicyService } from './policy/policy.service';
import { ExtensionsController, RemovedApisController } from './controllers/extensions.controller';
import { AggregatesController } from './controllers/aggregates.controller';
import { AvailabilityZonesController } from './controllers/availability-zones.controller';
import { FlavorExtrasController } from './controllers/flavor-extras.controller';
import { FlavorsController } from './controllers/flavors.controller';
import { HypervisorsController } from './controllers/hypervisors.controller';
import { KeypairsController } from './controllers/keypairs.controller';
import { QuotasController } from './controllers/quotas.controller';
import { ServerGroupsController } from './controllers/server-groups.controller';
import { ServicesController } from './controllers/services.controller';
import { ServersController } from './controllers/servers.controller';
import { MigrationsController } from './controllers/migrations.controller';
import { ServerMigrationsController } from './controllers/server-migrations.controller';
import { ServerTopologyController } from './controllers/server-topology.controller';
import { MoveActionsService } from './servers/move-actions.service';
import { ServerMetadataController } from './controllers/server-metadata.controller';
import { ServerTagsController } from './controllers/server-tags.controller';
import { ServerIpsController } from './controllers/server-ips.controller';
import { InstanceActionsController } from './controllers/instance-actions.controller';
import { SimpleTenantUsageController } from './controllers/simple-tenant-usage.controller';
import { ImageMetadataController, ImagesController } from './controllers/images.controller';
import { ServerActionsService } from './servers/server-actions.service';
import { ServerCreateService } from './servers/server-create.service';
import { ImageActionsService } from './servers/image-actions.service';
import { ComputeImageRpcClient } from '../compute/compute-image.rpc-client';
import { ImageTaskRpcClient } from '../conductor/image-task.rpc-client';
import { UsageService } from './usage.service';
import { ZonesService } from './zones.service';
import { VersionsController } from './versions/versions.controller';
import { RemoteConsolesController } from './controllers/remote-consoles.controller';
import { ConsoleAuthTokensController } from './controllers/console-auth-tokens.controller';
import { RemoteConsolesService } from './servers/remote-consoles.service';
import { ComputeConsoleRpcClient } from '../compute/compute-console.rpc-client';
import { ConsoleAuthTokenStore } from '../consoleauth/console-auth-token.store';

/** The `api` role: the Compute API v2.1 controllers and what they share. */
@Module({
  controllers: [
    VersionsController, ServicesController, ExtensionsController, AvailabilityZonesController, AggregatesController,
    ServerGroupsController, HypervisorsController, FlavorsController, FlavorExtrasController, KeypairsController, QuotasController,
    RemovedApisController, ServersController, MigrationsController, ServerMigrationsController, ServerTopologyController,
    ServerMetadataController, ServerTagsController, ServerIpsController, InstanceActionsController, SimpleTenantUsageController,
    ImagesController, ImageMetadataController,
    RemoteConsolesController, ConsoleAuthTokensController,
  ],
  providers: [PolicyService, ZonesService, UsageService, ServerCreateService, ServerActionsService, MoveActionsService, ImageActionsService, ComputeImageRpcClient, ImageTaskRpcClient,
    RemoteConsolesService, ComputeConsoleRpcClient, ConsoleAuthTokenStore,
    { provide: AUTH_STRATEGY, inject: [NOVA_CONF], useFactory: (conf: NovaConf) => createAuthStrategy(conf) }],
  exports: [PolicyService, AUTH_STRATEGY],
})
export class ApiModule {}
