import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Forbidden, Invalid, NotFound } from '../../common/errors';
import { KeyedLock } from '../../common/keyed-lock';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ConductorRpcClient } from '../../conductor/conductor.rpc-client';
import { ComputeNodeRepository } from '../../db/repositories/compute-node.repository';
import { FlavorRepository } from '../../db/repositories/flavor.repository';
import { ImageRepository } from '../../db/repositories/image.repository';
import { glanceFor, ImageNotFound } from '../../image/glance-client';
import { InstanceActionRepository } from '../../db/repositories/instance-action.repository';
import { InstanceRepository, NewInstance } from '../../db/repositories/instance.repository';
import { KeyPairRepository } from '../../db/repositories/keypair.repository';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import { ServerGroupRepository } from '../../db/repositories/server-group.repository';
import type { CallerContext, ImageMeta } from '../../objects/build.object';
import type { FlavorRecord } from '../../objects/flavor.object';
import type { ImageRecord } from '../../objects/image.object';
import { InstanceFlavor, InstanceRecord, TaskState, VmState } from '../../objects/instance.object';
import { checkQuota } from '../../objects/quota.object';
import type { ServerGroupRecord } from '../../objects/server-group.object';
import type { RequestSpec } from '../../scheduler/request-spec';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import { UsageService } from '../usage.service';
import { TRUSTED_CERTS_KEY } from '../views/server.view';
import { ZonesService } from '../zones.service';
import type { CreateServerRequest } from './create-request';
import { generatePassword, reservationId, sanitizeHostname } from './instance-names';

const P = 'os_compute_api:servers:create';

export interface CreatedServers {
  instances: InstanceRecord[];
  reservationId: string;
  adminPass: string;
}

export function callerOf(ctx: RequestContext): CallerContext {
  return { request_id: ctx.requestId, user_id: ctx.userId, project_id: ctx.projectId, is_admin: ctx.isAdmin };
}

export function instanceFlavor(f: FlavorRecord): InstanceFlavor {
  return {
    id: f.id, flavorid: f.flavorid, name: f.name, memory_mb: f.memory_mb, vcpus: f.vcpus, root_gb: f.root_gb,
    ephemeral_gb: f.ephemeral_gb, swap: f.swap, extra_specs: f.extra_specs,
  };
}

/** What a boot needs of an image, from the built-in service (ImageRecord) or a Glance (GlanceImage). */
export type BootImage = Pick<ImageRecord, 'id' | 'name' | 'status' | 'visibility' | 'owner' | 'disk_format' | 'container_format' | 'size' | 'min_disk' | 'min_ram' | 'properties'>;

export function imageMeta(img: BootImage): ImageMeta {
  return {
    id: img.id, name: img.name, disk_format: img.disk_format, container_format: img.container_format, size: img.size,
    min_disk: img.min_disk, min_ram: img.min_ram, properties: img.properties,
  };
}

/** Nova's `image_meta` copied into system metadata (`image_<key>`), which later operations read. */
function imageSystemMetadata(img: ImageMeta | null): Record<string, string> {
  if (!img) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ disk_format: img.disk_format, container_format: img.container_format, min_disk: img.min_disk, min_ram: img.min_ram, ...img.properties })) {
    if (v !== null && v !== undefined) out[`image_${k}`] = String(v).slice(0, 255);
  }
  if (img.name) out.image_name = img.name.slice(0, 255);
  return out;
}

/** The system metadata keeping the requested trusted image certificate ids (2.63). */
function trustedCertsMetadata(ids: string[] | null): Record<string, string> {
  return ids && ids.length > 0 ? { [TRUSTED_CERTS_KEY]: JSON.stringify(ids) } : {};
}

/**
 * `POST /servers` after validation (Nova's `compute/api.py create`): resolves the flavor, image,
 * key pair, zone and server group, checks quotas, records the instances in `building` /
 * `scheduling` with a `create` action each, and casts the build to the conductor.
 */
@Injectable()
export class ServerCreateService {
  private readonly quotaLock = new KeyedLock();

  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly flavors: FlavorRepository,
    private readonly images: ImageRepository,
    private readonly keypairs: KeyPairRepository,
    private readonly groups: ServerGroupRepository,
    private readonly quotas: QuotaRepository,
    private readonly usage: UsageService,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    private readonly conductor: ConductorRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    private readonly nodes: ComputeNodeRepository,
  ) {}

  async create(ctx: RequestContext, req: CreateServerRequest): Promise<CreatedServers> {
    const target = { project_id: ctx.projectId, user_id: ctx.userId, availability_zone: req.availabilityZoneRaw };
    this.policy.authorize(ctx, P, target);
    if (req.forcedHost || req.forcedNode) this.policy.authorize(ctx, `${P}:forced_host`, target);
    if (req.host || req.hypervisorHostname) this.policy.authorize(ctx, `${P}:requested_destination`, target);
    if (Array.isArray(req.networks) && req.networks.length > 0) this.policy.authorize(ctx, `${P}:attach_network`, target);
    if (req.trustedImageCertificates) this.policy.authorize(ctx, `${P}:trusted_certs`, target);

    const flavor = await this.flavorFor(ctx, req.flavorRef);
    const imageId = this.bootImageId(req);
    const image = imageId ? await this.imageFor(ctx, imageId, flavor) : null;
    if (flavor.root_gb === 0 && image && !req.bootFromVolume) this.policy.authorize(ctx, `${P}:zero_disk_flavor`, target);
    this.checkNetworks(req);
    const keypair = req.keyName ? await this.keypairFor(ctx, req.keyName) : null;
    const zone = req.availabilityZone ?? this.conf.DEFAULT.default_schedule_zone ?? null;
    if (zone) await this.checkZone(zone);
    await this.checkRequestedDestination(req.host, req.hypervisorHostname);
    const group = await this.groupFor(ctx, req.schedulerHints.group);
    await this.checkMetadataQuota(ctx, Object.keys(req.metadata).length);

    const adminPass = req.adminPass ?? generatePassword(this.conf.DEFAULT.password_length);
    const resId = reservationId();
    const created = await this.quotaLock.run(ctx.projectId, async () => {
      const count = await this.countWithinQuota(ctx, flavor, req.minCount, req.maxCount, group);
      const rows: NewInstance[] = [];
      for (let i = 0; i < count; i++) {
        const uuid = randomUUID();
        const displayName = count > 1 ? `${req.name}-${i + 1}` : req.name;
        const hostname = req.hostname ?? sanitizeHostname(displayName, `Server-${uuid}`);
        rows.push({
          uuid, display_name: displayName, display_description: req.description, hostname,
          project_id: ctx.projectId, user_id: ctx.userId, image_ref: image?.id ?? '', flavor: instanceFlavor(flavor),
          key_name: keypair?.name ?? null, key_data: keypair?.public_key ?? null, user_data: req.userData,
          availability_zone: zone, reservation_id: resId, launch_index: i,
          access_ip_v4: req.accessIPv4, access_ip_v6: req.accessIPv6, config_drive: req.configDrive ? 'True' : '',
          auto_disk_config: req.diskConfig === 'AUTO', vm_state: VmState.BUILDING, task_state: TaskState.SCHEDULING,
          metadata: req.metadata, system_metadata: { ...imageSystemMetadata(image), ...trustedCertsMetadata(req.trustedImageCertificates) }, tags: req.tags,
        });
      }
      const made = await this.instances.create(rows);
      if (group) await this.groups.addMembers(group.id, made.map((m) => m.uuid));
      return made;
    });
    const caller = callerOf(ctx);
    for (const inst of created) await this.actions.start(inst.uuid, 'create', caller);
    const spec = this.requestSpec(ctx, req, flavor, image, zone, group, created.map((i) => i.uuid));
    try {
      await this.conductor.schedule_and_build_instances({
        ctx: caller, instance_uuids: created.map((i) => i.uuid), request_spec: spec, image, admin_password: adminPass,
      });
    } catch (err) {
      // The conductor never got the build: nothing may stay in BUILD forever.
      for (const inst of created) {
        await this.instances.update(inst.uuid, { vm_state: VmState.ERROR, task_state: null }).catch(() => undefined);
        await this.instances.addFault(inst.uuid, { code: 500, message: `The build could not be handed to the conductor: ${err instanceof Error ? err.message : String(err)}` });
      }
      throw err;
    }
    return { instances: created, reservationId: resId, adminPass };
  }

  private async flavorFor(ctx: RequestContext, flavorRef: string): Promise<FlavorRecord> {
    try {
      const flavor = await this.flavors.getByFlavorId(flavorRef, ctx.isAdmin ? {} : { visibleToProject: ctx.projectId });
      if (flavor.disabled && !ctx.isAdmin) throw new NotFound('disabled');
      return flavor;
    } catch (err) {
      if (err instanceof NotFound) throw new Invalid(`Flavor ${flavorRef} could not be found.`);
      throw err;
    }
  }

  /** The image to boot: imageRef, or an image-sourced local boot disk; volumes need a block storage service. */
  private bootImageId(req: CreateServerRequest): string | null {
    for (const bdm of req.blockDeviceMappings) {
      if (bdm.destinationType === 'volume' || bdm.sourceType === 'volume' || bdm.sourceType === 'snapshot') {
        throw new Invalid('Block Device Mapping is Invalid: volumes are not available in this cloud (no block storage service is configured).');
      }
    }
    if (req.imageRef) return req.imageRef;
    const boot = req.blockDeviceMappings.find((b) => b.bootIndex === 0 && b.sourceType === 'image');
    if (boot?.imageId) return boot.imageId;
    throw new Invalid('Missing imageRef attribute');
  }

  private async imageFor(ctx: RequestContext, id: string, flavor: FlavorRecord): Promise<ImageMeta> {
    const img = await this.findImage(ctx, id);
    const visible = img && img.status !== 'deleted' && (ctx.isAdmin || img.owner === ctx.projectId || img.visibility === 'public' || img.visibility === 'community');
    if (!img || !visible) throw new Invalid(`Image ${id} could not be found.`);
    if (img.status !== 'active') throw new Invalid(`Image ${id} is not active.`);
    if (flavor.memory_mb < img.min_ram) throw new Invalid("Flavor's memory is too small for requested image.");
    if (flavor.root_gb > 0 && flavor.root_gb < img.min_disk) throw new Invalid("Flavor's disk is too small for requested image.");
    if (flavor.root_gb > 0 && img.size !== null && img.size > flavor.root_gb * 1024 ** 3) throw new Invalid("Flavor's disk is too small for requested image.");
    return imageMeta(img);
  }

  /** The image in `[glance] api_servers` (asked with the caller's token) when set, else in the built-in service. */
  private async findImage(ctx: RequestContext, id: string): Promise<BootImage | null> {
    if ((this.conf.glance.api_servers ?? []).length === 0) return this.images.get(id);
    try {
      return await glanceFor(this.conf, callerOf(ctx), ctx.authToken).get(id);
    } catch (err) {
      if (err instanceof ImageNotFound) return null;
      throw err;
    }
  }

  /** No networking service runs here: `auto`/`none` (or nothing) only. */
  private checkNetworks(req: CreateServerRequest): void {
    if (!Array.isArray(req.networks)) return;
    for (const n of req.networks) {
      if (n.port) throw new Invalid(`Port ${n.port} could not be found.`);
      if (n.uuid) throw new Invalid(`Network ${n.uuid} could not be found.`);
    }
  }

  private async keypairFor(ctx: RequestContext, name: string) {
    try {
      return await this.keypairs.get(ctx.userId, name);
    } catch (err) {
      if (err instanceof NotFound) throw new Invalid('Invalid key_name provided.');
      throw err;
    }
  }

  private async checkZone(zone: string): Promise<void> {
    const zones = await this.zones.list();
    if (!zones.some((z) => z.zoneName === zone && z.zoneState.available)) throw new Invalid('The requested availability zone is not available');
  }

  private async groupFor(ctx: RequestContext, hint: unknown): Promise<ServerGroupRecord | null> {
    if (hint === undefined || hint === null) return null;
    const id = Array.isArray(hint) ? String(hint[0]) : String(hint);
    try {
      return await this.groups.get(id, ctx.isAdmin ? undefined : ctx.projectId);
    } catch (err) {
      if (err instanceof NotFound) throw new Invalid(`Instance group ${id} could not be found.`);
      throw err;
    }
  }

  private async checkMetadataQuota(ctx: RequestContext, items: number): Promise<void> {
    const limit = (await this.quotas.getProjectQuotas(ctx.projectId, ctx.userId)).metadata_items;
    if (limit >= 0 && items > limit) throw new Forbidden(`Maximum number of metadata items exceeds ${limit}`);
  }

  /**
   * How many of min..max instances fit the project's (and user's) quotas (Nova's
   * `_check_num_instances_quota`): as many as fit down to min_count, else 403.
   */
  private async countWithinQuota(ctx: RequestContext, flavor: FlavorRecord, min: number, max: number, group: ServerGroupRecord | null): Promise<number> {
    const limits = await this.quotas.getProjectQuotas(ctx.projectId, ctx.userId);
    const used = await this.usage.count(ctx.projectId, ctx.userId, false);
    const per = { instances: 1, cores: flavor.vcpus, ram: flavor.memory_mb };
    let count = max;
    for (const res of ['instances', 'cores', 'ram'] as const) {
      const limit = limits[res];
      if (limit < 0 || per[res] === 0) continue;
      count = Math.min(count, Math.floor((limit - (used[res] ?? 0)) / per[res]));
    }
    if (count < min) {
      const requested = { instances: min, cores: min * per.cores, ram: min * per.ram };
      checkQuota(limits, used, requested, min !== max ? { instances: `${min}-${max}` } : {});
    }
    count = Math.max(count, min);
    if (group) {
      const limit = limits.server_group_members;
      const members = await this.groups.countMembers(group.id);
      if (limit >= 0 && members + count > limit) throw new Forbidden('Quota exceeded, too many servers in group');
    }
    return count;
  }

  /**
   * Nova's `_validate_host_or_node` (2.74): a requested host must have a compute node (and the
   * requested node must be that host's), a node alone must exist; otherwise 400
   * `ComputeHostNotFound` naming the host (or the node when only a node was asked for).
   */
  private async checkRequestedDestination(host: string | null | undefined, node: string | null | undefined): Promise<void> {
    if (host) {
      const nodes = await this.nodes.listByHost(host);
      if (nodes.length === 0 || (node && !nodes.some((n) => n.hypervisor_hostname === node))) throw new Invalid(`Compute host ${host} could not be found.`);
    } else if (node) {
      const found = await this.nodes.list({ hostnamePattern: node });
      if (!found.some((n) => n.hypervisor_hostname === node)) throw new Invalid(`Compute host ${node} could not be found.`);
    }
  }

  private requestSpec(ctx: RequestContext, req: CreateServerRequest, flavor: FlavorRecord, image: ImageMeta | null, zone: string | null, group: ServerGroupRecord | null, uuids: string[]): RequestSpec {
    const count = uuids.length;
    const hints: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.schedulerHints)) {
      hints[k] = Array.isArray(v) ? v.map(String) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    }
    return {
      flavor: { name: flavor.name, vcpus: flavor.vcpus, memory_mb: flavor.memory_mb, root_gb: flavor.root_gb, ephemeral_gb: flavor.ephemeral_gb, swap: flavor.swap, extra_specs: flavor.extra_specs },
      image: image ? { properties: { ...image.properties, ...(image.disk_format ? { disk_format: image.disk_format } : {}) } } : null,
      availability_zone: zone,
      scheduler_hints: hints,
      instance_group: group ? { uuid: group.id, policy: group.policy, rules: group.rules as Record<string, string | number>, hosts: [], members: [...new Set([...group.members, ...uuids])] } : null,
      num_instances: count,
      project_id: ctx.projectId,
      force_hosts: req.forcedHost ? [req.forcedHost] : null,
      force_nodes: req.forcedNode ? [req.forcedNode] : null,
      // 2.74: a requested host/node is a destination the filters still check, not a forced one.
      requested_destination: req.host || req.hypervisorHostname ? { host: req.host ?? null, node: req.hypervisorHostname ?? null } : null,
      is_bfv: false,
    };
  }
}
