import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { CallerContext, ImageMeta } from '../objects/build.object';
import type { InstanceRecord, StateGuard } from '../objects/instance.object';
import type { MessageBus } from '../rpc/message-bus';

/** API → conductor: unshelve (Nova's `compute_task.unshelve_instance`). */
export interface UnshelveTaskArgs {
  ctx: CallerContext;
  instance_uuid: string;
  /** undefined: keep the instance's zone; null (2.91): unpin; a name (2.77): move there. */
  availability_zone?: string | null;
  /** 2.91: the destination host (admin). */
  host?: string | null;
  auth_token?: string | null;
}

/** API → conductor (2.81): pre-cache images on the hosts of an aggregate (Nova's `compute_task.cache_images`). */
export interface CacheImagesTaskArgs {
  ctx: CallerContext;
  aggregate_id: number;
  hosts: string[];
  images: ImageMeta[];
}

/** Typed client of the conductor endpoints of image operations (src/conductor/image-task.manager.ts). */
@Injectable()
export class ImageTaskRpcClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  unshelve_instance(args: UnshelveTaskArgs): Promise<void> {
    return this.bus.cast({ topic: 'conductor', namespace: 'compute_task', version: '1.25' }, 'unshelve_instance', { ...args });
  }

  cache_images(args: CacheImagesTaskArgs): Promise<void> {
    return this.bus.cast({ topic: 'conductor', namespace: 'compute_task', version: '1.25' }, 'cache_images', { ...args });
  }

  /** Sets (string) or removes (null) system metadata keys. */
  instance_system_metadata_update(uuid: string, meta: Record<string, string | null>): Promise<void> {
    return this.bus.call<void>({ topic: 'conductor', version: '3.0' }, 'instance_system_metadata_update', { uuid, meta });
  }

  /**
   * The instance left its host (shelve offload, failed unshelve): host and node cleared, the
   * claim released, vm_state shelved_offloaded, task_state null.
   */
  instance_offloaded(uuid: string, powerState: number, guard: StateGuard = {}): Promise<InstanceRecord> {
    return this.bus.call<InstanceRecord>({ topic: 'conductor', version: '3.0' }, 'instance_offloaded', { uuid, power_state: powerState, guard });
  }
}
