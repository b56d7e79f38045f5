import { Module } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { AUTH_STRATEGY, createAuthStrategy } from './auth/auth-strategy.provider';
import { PolicyService } from './policy/policy.service';
import { ServicesController } from './controllers/services.controller';
import { VersionsController } from './versions/versions.controller';

/** The `api` role: the Compute API v2.1 controllers and what they share. */
@Module({
  controllers: [VersionsController, ServicesController],
  providers: [PolicyService, { provide: AUTH_STRATEGY, inject: [NOVA_CONF], useFactory: (conf: NovaConf) => createAuthStrategy(conf) }],
  exports: [PolicyService, AUTH_STRATEGY],
})
export class ApiModule {}
