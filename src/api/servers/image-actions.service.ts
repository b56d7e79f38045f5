import { Inject, Injectable } from '@nestjs/common';
import { Conflict, Forbidden, Invalid, NotFound } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ComputeImageRpcClient } from '../../compute/compute-image.rpc-client';
import { ImageTaskRpcClient } from '../../conductor/image-task.rpc-client';
import { InstanceActionRepository } from '../../db/repositories/instance-action.repository';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { KeyPairRepository } from '../../db/repositories/keypair.repository';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import { ServerGroupRepository } from '../../db/repositories/server-group.repository';
import { ServiceRepository } from '../../db/repositories/service.repository';
import { GlanceClient, GlanceImage, glanceFor, glanceImageMeta, ImageNotFound, imageEndpoint } from '../../image/glance-client';
import type { CallerContext, ImageMeta } from '../../objects/build.object';
import { InstanceRecord, InstanceUpdates, TaskState, VmState } from '../../objects/instance.object';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { serverRebuildResponse, TRUSTED_CERTS_KEY } from '../views/server.view';
import { ZonesService } from '../zones.service';
import type { RebuildAction, ServerAction } from './action-requests';
import { generatePassword } from './instance-names';
import { callerOf } from './server-create.service';
import { snapshotImage } from './snapshot-meta';
import { checkState, GuardedOperation, STATE_RULES, StateRule } from './state-checks';
import { instanceName } from '../../compute/guest-spec';

const P = 'os_compute_api:';

export type ImageAction = Extract<ServerAction, { action: 'createImage' | 'createBackup' | 'unshelve' | 'rebuild' }> | { action: 'shelve' | 'shelveOffload' };

export interface ImageActionResult {
  status: number;
  body?: unknown;
  /** Response headers (`Location` of createImage / createBackup before 2.45). */
  headers?: Record<string, string>;
}

const HANDLED = new Set(['createImage', 'createBackup', 'shelve', 'shelveOffload', 'unshelve', 'rebuild']);

/**
 * The server actions that make or use images, API side (Nova's `compute/api.py` snapshot,
 * backup, shelve, shelve_offload, unshelve, rebuild): policy, state checks (409), the image
 * record created in the image service, a guarded task-state change, then the cast (to the
 * compute, or the conductor for unshelve). A cast that cannot be sent puts the task state back
 * and deletes the image made for it.
 */
@Injectable()
export class ImageActionsService {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly keypairs: KeyPairRepository,
    private readonly quotas: QuotaRepository,
    private readonly services: ServiceRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    private readonly compute: ComputeImageRpcClient,
    private readonly tasks: ImageTaskRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    private readonly groups: ServerGroupRepository,
  ) {}

  handles(a: ServerAction): a is ImageAction {
    return HANDLED.has(a.action);
  }

  async perform(ctx: RequestContext, inst: InstanceRecord, a: ImageAction): Promise<ImageActionResult> {
    switch (a.action) {
      case 'createImage':
        return this.createImage(ctx, inst, a.name, a.metadata);
      case 'createBackup':
        return this.createBackup(ctx, inst, a);
      case 'shelve':
        return this.shelve(ctx, inst);
      case 'shelveOffload':
        return this.shelveOffload(ctx, inst);
      case 'unshelve':
        return this.unshelve(ctx, inst, a);
      case 'rebuild':
        return this.rebuild(ctx, inst, a);
    }
  }

  private authorize(ctx: RequestContext, rule: string, inst: InstanceRecord): void {
    this.policy.authorize(ctx, `${P}${rule}`, { project_id: inst.project_id, user_id: inst.user_id });
  }

  private glance(ctx: RequestContext): GlanceClient {
    return glanceFor(this.conf, callerOf(ctx), ctx.authToken);
  }

  /** The token computes pass to the image service: only needed (and only sent) with keystone. */
  private tokenFor(ctx: RequestContext): string | null {
    return this.conf.api.auth_strategy === 'noauth2' ? null : ctx.authToken;
  }

  private async createImage(ctx: RequestContext, inst: InstanceRecord, name: string, metadata: Record<string, string>): Promise<ImageActionResult> {
    this.authorize(ctx, 'servers:create_image', inst);
    await this.checkImageMetadataQuota(ctx, metadata);
    checkState(inst, 'snapshot', ctx.isAdmin, 'createImage');
    const image = await this.snapshotWithTask(ctx, inst, 'snapshot', 'createImage', name, 'snapshot', TaskState.IMAGE_SNAPSHOT_PENDING, metadata,
      (caller, imageId) => this.compute.snapshot_instance(inst.host as string, { ctx: caller, instance_uuid: inst.uuid, image_id: imageId, auth_token: this.tokenFor(ctx) }));
    if (atLeast(ctx.version, '2.45')) return { status: 202, body: { image_id: image.id } };
    return { status: 202, headers: { Location: `${imageEndpoint(this.conf)}/images/${image.id}` } };
  }

  private async createBackup(ctx: RequestContext, inst: InstanceRecord, a: Extract<ImageAction, { action: 'createBackup' }>): Promise<ImageActionResult> {
    this.authorize(ctx, 'os-create-backup', inst);
    await this.checkImageMetadataQuota(ctx, a.metadata);
    checkState(inst, 'backup', ctx.isAdmin, 'createBackup');
    const extra = { ...a.metadata, backup_type: a.backupType };
    const image = await this.snapshotWithTask(ctx, inst, 'backup', 'createBackup', a.name, 'backup', TaskState.IMAGE_BACKUP, extra,
      (caller, imageId) => this.compute.backup_instance(inst.host as string, {
        ctx: caller, instance_uuid: inst.uuid, image_id: imageId, backup_type: a.backupType, rotation: a.rotation, auth_token: this.tokenFor(ctx),
      }));
    if (atLeast(ctx.version, '2.45')) return { status: 202, body: { image_id: image.id } };
    return { status: 202, headers: a.rotation > 0 ? { Location: `${ctx.baseUrl}/v2.1/images/${image.id}` } : {} };
  }

  /** Image record, guarded task state, action, cast; the image goes again when the task or the cast fails. */
  private async snapshotWithTask(
    ctx: RequestContext, inst: InstanceRecord, op: GuardedOperation, action: string, name: string, imageType: 'snapshot' | 'backup', task: string,
    extra: Record<string, string>, cast: (caller: CallerContext, imageId: string) => Promise<void>,
  ): Promise<GlanceImage> {
    const caller = callerOf(ctx);
    const glance = this.glance(ctx);
    const image = await glance.create(snapshotImage(caller, inst, name, imageType, extra));
    try {
      await this.setTask(ctx, inst, op, action, task);
    } catch (err) {
      await glance.delete(image.id).catch(() => undefined);
      throw err;
    }
    try {
      await cast(caller, image.id);
    } catch (err) {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [task] }).catch(() => undefined);
      await glance.delete(image.id).catch(() => undefined);
      throw err;
    }
    return image;
  }

  private async shelve(ctx: RequestContext, inst: InstanceRecord): Promise<ImageActionResult> {
    this.authorize(ctx, 'os-shelve:shelve', inst);
    checkState(inst, 'shelve', ctx.isAdmin);
    await this.setTask(ctx, inst, 'shelve', 'shelve', TaskState.SHELVING);
    const caller = callerOf(ctx);
    const glance = this.glance(ctx);
    let imageId: string | null = null;
    try {
      imageId = (await glance.create(snapshotImage(caller, inst, `${inst.display_name ?? ''}-shelved`, 'snapshot'))).id;
      await this.compute.shelve_instance(inst.host as string, { ctx: caller, instance_uuid: inst.uuid, image_id: imageId, clean_shutdown: true, auth_token: this.tokenFor(ctx) });
    } catch (err) {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [TaskState.SHELVING] }).catch(() => undefined);
      if (imageId) await glance.delete(imageId).catch(() => undefined);
      throw err;
    }
    return { status: 202 };
  }

  private async shelveOffload(ctx: RequestContext, inst: InstanceRecord): Promise<ImageActionResult> {
    this.authorize(ctx, 'os-shelve:shelve_offload', inst);
    checkState(inst, 'shelve_offload', ctx.isAdmin, 'shelveOffload');
    await this.setTask(ctx, inst, 'shelve_offload', 'shelveOffload', TaskState.SHELVING_OFFLOADING);
    try {
      await this.compute.shelve_offload_instance(inst.host as string, { ctx: callerOf(ctx), instance_uuid: inst.uuid, clean_shutdown: true, auth_token: this.tokenFor(ctx) });
    } catch (err) {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [TaskState.SHELVING_OFFLOADING] }).catch(() => undefined);
      throw err;
    }
    return { status: 202 };
  }

  private async unshelve(ctx: RequestContext, inst: InstanceRecord, a: Extract<ImageAction, { action: 'unshelve' }>): Promise<ImageActionResult> {
    this.authorize(ctx, 'os-shelve:unshelve', inst);
    if (a.host !== undefined) this.authorize(ctx, 'os-shelve:unshelve_to_host', inst);
    checkState(inst, 'unshelve', ctx.isAdmin);
    if ((a.availabilityZone !== undefined || a.host !== undefined) && inst.vm_state !== VmState.SHELVED_OFFLOADED) {
      throw new Conflict(`The availability_zone or host parameter can only be used when unshelving a SHELVED_OFFLOADED server (${inst.uuid} is ${inst.vm_state === VmState.SHELVED ? 'SHELVED' : inst.vm_state}).`);
    }
    if (typeof a.availabilityZone === 'string') {
      const zones = await this.zones.list();
      if (!zones.some((z) => z.zoneName === a.availabilityZone && z.zoneState.available)) throw new Invalid('The requested availability zone is not available');
    }
    if (a.host !== undefined && (await this.services.list({ host: a.host, binary: 'nova-compute' })).length === 0) {
      throw new Invalid(`Compute host ${a.host} could not be found.`);
    }
    await this.setTask(ctx, inst, 'unshelve', 'unshelve', TaskState.UNSHELVING);
    try {
      await this.tasks.unshelve_instance({
        ctx: callerOf(ctx), instance_uuid: inst.uuid, availability_zone: a.availabilityZone, host: a.host ?? null, auth_token: this.tokenFor(ctx),
      });
    } catch (err) {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [TaskState.UNSHELVING] }).catch(() => undefined);
      throw err;
    }
    return { status: 202 };
  }

  private async rebuild(ctx: RequestContext, inst: InstanceRecord, a: RebuildAction): Promise<ImageActionResult> {
    this.authorize(ctx, 'servers:rebuild', inst);
    // Unlike create, an explicit null (unset) is checked too.
    if (a.trustedImageCertificates !== undefined) this.authorize(ctx, 'servers:rebuild:trusted_certs', inst);
    checkState(inst, 'rebuild', ctx.isAdmin);
    const image = await this.rebuildImage(ctx, inst, a.imageRef);
    if (a.metadata) await this.checkMetadataQuota(ctx, a.metadata);
    const updates: InstanceUpdates = { task_state: TaskState.REBUILDING, image_ref: image.id, progress: 0 };
    if (a.name !== undefined) updates.display_name = a.name;
    if (a.description !== undefined) updates.display_description = a.description;
    if (a.accessIPv4 !== undefined) updates.access_ip_v4 = a.accessIPv4;
    if (a.accessIPv6 !== undefined) updates.access_ip_v6 = a.accessIPv6;
    if (a.diskConfig !== undefined) updates.auto_disk_config = a.diskConfig === 'AUTO';
    if (a.userData !== undefined) updates.user_data = a.userData;
    if (a.hostname !== undefined) updates.hostname = a.hostname;
    if (a.keyName !== undefined) {
      const kp = a.keyName === null ? null : await this.keypairs.get(ctx.userId, a.keyName).catch((err: unknown) => {
        if (err instanceof NotFound) throw new Invalid('Invalid key_name provided.');
        throw err;
      });
      updates.key_name = kp?.name ?? null;
      updates.key_data = kp?.public_key ?? null;
    }
    const password = a.adminPass ?? generatePassword(this.conf.DEFAULT.password_length);
    const { task_state: _task, ...fields } = updates;
    void _task;
    await this.setTask(ctx, inst, 'rebuild', 'rebuild', TaskState.REBUILDING, fields);
    try {
      if (a.metadata) await this.instances.setMetadata(inst.uuid, a.metadata, true);
      if (image.id !== inst.image_ref) await this.instances.setSystemMetadata(inst.uuid, imageSystemMetadataChange(inst, image, inst.flavor.root_gb));
      // 2.63: the given ids replace the instance's; null unsets them.
      if (a.trustedImageCertificates !== undefined) {
        const ids = a.trustedImageCertificates;
        await this.instances.setSystemMetadata(inst.uuid, { [TRUSTED_CERTS_KEY]: ids && ids.length > 0 ? JSON.stringify(ids) : null });
      }
      await this.compute.rebuild_server(inst.host as string, {
        ctx: callerOf(ctx), instance_uuid: inst.uuid, image, admin_password: password, preserve_ephemeral: a.preserveEphemeral ?? false, auth_token: this.tokenFor(ctx),
      });
    } catch (err) {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [TaskState.REBUILDING] }).catch(() => undefined);
      throw err;
    }
    const updated = await this.instances.get(inst.uuid);
    const target = { project_id: ctx.projectId, user_id: ctx.userId };
    const extras = {
      isAdmin: ctx.isAdmin,
      showExtended: this.policy.check(ctx, `${P}os-extended-server-attributes`, target),
      showHostStatus: false as const,
      instanceName: instanceName(this.conf.DEFAULT.instance_name_template, updated.id),
      showFlavorExtraSpecs: this.policy.check(ctx, `${P}servers:show:flavor-extra-specs`, target),
      forList: false,
      securityGroups: ['default'],
      serverGroups: atLeast(ctx.version, '2.71') ? (await this.groups.groupsOfInstance(inst.uuid)).map((g) => g.id) : [],
    };
    const body = serverRebuildResponse(ctx, updated, extras, this.conf.api.enable_instance_password ? { adminPass: password } : {});
    return { status: 202, body, headers: { Location: `${ctx.baseUrl}/v2.1/servers/${inst.uuid}` } };
  }

  /** The rebuild image, checked as a boot image is (Nova's `_check_requested_image`). */
  private async rebuildImage(ctx: RequestContext, inst: InstanceRecord, ref: string): Promise<ImageMeta> {
    const id = ref.replace(/\/+$/, '').split('/').pop() ?? ref;
    let img: GlanceImage;
    try {
      img = await this.glance(ctx).get(id);
    } catch (err) {
      if (err instanceof ImageNotFound) throw new Invalid('Cannot find image for rebuild');
      throw err;
    }
    if (img.status !== 'active') throw new Invalid(`Image ${img.id} is not active.`);
    const f = inst.flavor;
    if (f.memory_mb < img.min_ram) throw new Invalid("Flavor's memory is too small for requested image.");
    if (f.root_gb > 0 && (f.root_gb < img.min_disk || (img.size !== null && img.size > f.root_gb * 1024 ** 3))) {
      throw new Invalid("Flavor's disk is too small for requested image.");
    }
    return glanceImageMeta(img);
  }

  /** Nova's `check_img_metadata_properties_quota`; only up to 2.38 (the image-metadata proxy's last version). */
  private async checkImageMetadataQuota(ctx: RequestContext, metadata: Record<string, string>): Promise<void> {
    if (atLeast(ctx.version, '2.39')) return;
    const n = Object.keys(metadata).length;
    if (n === 0) return;
    const limit = (await this.quotas.getProjectQuotas(ctx.projectId, ctx.userId)).metadata_items;
    if (limit >= 0 && n > limit) throw new Forbidden('Image metadata limit exceeded');
  }

  private async checkMetadataQuota(ctx: RequestContext, metadata: Record<string, string>): Promise<void> {
    const limit = (await this.quotas.getProjectQuotas(ctx.projectId, ctx.userId)).metadata_items;
    if (limit >= 0 && Object.keys(metadata).length > limit) throw new Forbidden(`Maximum number of metadata items exceeds ${limit}`);
  }

  /** State and lock checks, the action record, the task state under a guard (409 to the loser of a race). */
  private async setTask(ctx: RequestContext, inst: InstanceRecord, op: GuardedOperation, action: string, task: string, fields: InstanceUpdates = {}): Promise<InstanceRecord> {
    const opName = ({ snapshot: 'createImage', backup: 'createBackup', shelve_offload: 'shelveOffload' } as Record<string, string>)[op] ?? op;
    checkState(inst, op, ctx.isAdmin, opName);
    // An offloaded server has no host: the conductor finds it one.
    if (!inst.host && op !== 'unshelve') throw new Conflict(`Instance ${inst.uuid} is not ready yet`);
    const rule: StateRule = STATE_RULES[op];
    await this.actions.start(inst.uuid, action, callerOf(ctx));
    try {
      return await this.instances.update(inst.uuid, { ...fields, task_state: task }, {
        expected_task_state: rule.task ? [...rule.task] : undefined,
        expected_vm_state: rule.vm ? [...rule.vm] : undefined,
      });
    } catch (err) {
      if (err instanceof Conflict) checkState(await this.instances.get(inst.uuid), op, ctx.isAdmin, opName);
      throw err;
    }
  }
}

/** The `image_*` system metadata of the new image, the old keys removed (Nova's `_reset_image_metadata`). */
function imageSystemMetadataChange(inst: InstanceRecord, img: ImageMeta, rootGb: number): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(inst.system_metadata)) if (k.startsWith('image_') && k !== 'image_base_image_ref') out[k] = null;
  const base: Record<string, unknown> = { disk_format: img.disk_format, container_format: img.container_format, min_ram: img.min_ram, min_disk: Math.max(img.min_disk, rootGb), ...img.properties };
  for (const [k, v] of Object.entries(base)) if (v !== null && v !== undefined) out[`image_${k}`] = String(v).slice(0, 255);
  if (img.name) out.image_name = img.name.slice(0, 255);
  out.image_base_image_ref = img.id;
  return out;
}
