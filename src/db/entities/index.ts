import { AggregateEntity, AggregateHostEntity, AggregateMetadataEntity, InstanceGroupEntity, InstanceGroupMemberEntity, InstanceGroupPolicyEntity } from './aggregate.entity';
import { FlavorEntity, FlavorExtraSpecEntity, FlavorProjectEntity, KeyPairEntity, ProjectUserQuotaEntity, QuotaClassEntity, QuotaEntity, RequestSpecEntity } from './flavor.entity';
import { AllocationEntity } from './allocation.entity';
import { IdentityAssignmentEntity, IdentityProjectEntity, IdentityRoleEntity, IdentityTokenEntity, IdentityUserEntity } from './identity.entity';
import { ImageEntity } from './image.entity';
import { InstanceActionEntity, InstanceActionEventEntity, InstanceEntity, InstanceFaultEntity, InstanceMetadataEntity, InstanceSystemMetadataEntity, TagEntity } from './instance.entity';
import { BlockDeviceMappingEntity, ConsoleAuthTokenEntity, MigrationEntity } from './move.entity';
import { ComputeNodeEntity, ServiceEntity } from './service.entity';

export * from './aggregate.entity';
export * from './allocation.entity';
export * from './flavor.entity';
export * from './identity.entity';
export * from './image.entity';
export * from './instance.entity';
export * from './move.entity';
export * from './service.entity';

/** Tables of the main ("cell") database, `[database] connection`. */
export const MAIN_ENTITIES = [
  ServiceEntity, ComputeNodeEntity, InstanceEntity, InstanceMetadataEntity, InstanceSystemMetadataEntity, TagEntity,
  InstanceFaultEntity, InstanceActionEntity, InstanceActionEventEntity, MigrationEntity, BlockDeviceMappingEntity,
  ConsoleAuthTokenEntity, AllocationEntity,
];

/** Tables of the API database, `[api_database] connection`. */
export const API_ENTITIES = [
  FlavorEntity, FlavorExtraSpecEntity, FlavorProjectEntity, KeyPairEntity, QuotaEntity, ProjectUserQuotaEntity,
  QuotaClassEntity, RequestSpecEntity, AggregateEntity, AggregateHostEntity, AggregateMetadataEntity,
  InstanceGroupEntity, InstanceGroupPolicyEntity, InstanceGroupMemberEntity, ImageEntity,
  IdentityUserEntity, IdentityProjectEntity, IdentityRoleEntity, IdentityAssignmentEntity, IdentityTokenEntity,
];
