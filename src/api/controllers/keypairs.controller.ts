import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Invalid } from '../../common/errors';
import { KeyedLock } from '../../common/keyed-lock';
import { createWithinQuota } from '../create-within-quota';
import { generateKeyPair } from '../../common/ssh-keys';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { KeyPairRepository } from '../../db/repositories/keypair.repository';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import type { KeyPairRecord } from '../../objects/keypair.object';
import { keypairLimitExceeded } from '../../objects/quota.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { pageParams, Query, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { validateWrapped } from '../validation/validate';
import { NovaEnum, NovaName, NovaString, Optional, Required } from '../validation/nova-validators';
import { isoMicro, nextLinks } from '../views/format';

const P = 'os_compute_api:os-keypairs';
/** parameter_types.keypair_name_special_chars(_v292): a `name`, and this pattern. */
const NAME_21 = '^[_\\- a-zA-Z0-9]+$';
const NAME_292 = '^[_\\-\\@\\. a-zA-Z0-9]+$';

/** schemas/keypairs.py `create` (2.1). */
class KeypairCreate21 {
  @Required() @NovaName('name', NAME_21) name!: string;
  @Optional() @NovaString(0, 65535) public_key?: string;
}
/** `create_v22`: adds type (before public_key). */
class KeypairCreate22 {
  @Required() @NovaName('name', NAME_21) name!: string;
  @Optional() @NovaEnum(['ssh', 'x509'], 'string') type?: 'ssh' | 'x509';
  @Optional() @NovaString(0, 65535) public_key?: string;
}
/** `create_v210`: adds user_id. */
class KeypairCreate210 extends KeypairCreate22 {
  @Optional() @NovaString(1, 255) user_id?: string;
}
/** `create_v292`: `@` and `.` in names; public_key required. */
class KeypairCreate292 {
  @Required() @NovaName('name', NAME_292) name!: string;
  @Optional() @NovaEnum(['ssh', 'x509'], 'string') type?: 'ssh' | 'x509';
  @Required() @NovaString(0, 65535) public_key!: string;
  @Optional() @NovaString(1, 255) user_id?: string;
}

/** `/os-keypairs`: per-user SSH keys; the server generates one when no public key is given (before 2.92). */
@Controller('v2.1/os-keypairs')
export class KeypairsController {
  constructor(
    private readonly keypairs: KeyPairRepository,
    private readonly quotas: QuotaRepository,
    private readonly policy: PolicyService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  @Get()
  async list(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    const userId = this.targetUser(ctx, single(query, 'user_id'));
    this.policy.authorize(ctx, `${P}:index`, { user_id: userId });
    const paged = atLeast(ctx.version, '2.35');
    const { limit, marker } = paged ? pageParams(query, this.conf.api.max_limit) : { limit: undefined, marker: undefined };
    const rows = await this.keypairs.list(userId, { limit, marker });
    const body: Record<string, unknown> = {
      keypairs: rows.map((k) => ({ keypair: { name: k.name, public_key: k.public_key, fingerprint: k.fingerprint, ...(atLeast(ctx.version, '2.2') ? { type: k.type } : {}) } })),
    };
    const links = limit === undefined ? undefined : nextLinks(ctx, 'os-keypairs', query, limit, rows.length, rows[rows.length - 1]?.name);
    if (links) body.keypairs_links = links;
    return body;
  }

  @Post()
  async create(@ReqCtx() ctx: RequestContext, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const v = ctx.version;
    const cls = atLeast(v, '2.92') ? KeypairCreate292 : atLeast(v, '2.10') ? KeypairCreate210 : atLeast(v, '2.2') ? KeypairCreate22 : KeypairCreate21;
    const b = validateWrapped(body, 'keypair', cls) as KeypairCreate292;
    const userId = b.user_id ?? ctx.userId;
    this.policy.authorize(ctx, `${P}:create`, { user_id: userId });
    const type = b.type ?? 'ssh';
    let publicKey = b.public_key;
    let privateKey: string | undefined;
    if (publicKey === undefined) {
      if (type === 'x509') throw new Invalid('Generating x509 keypairs is not supported: import a certificate with public_key');
      const generated = generateKeyPair('rsa');
      publicKey = generated.publicKey;
      privateKey = generated.privateKey;
    }
    const kp = await createWithinQuota(
      this.createLock,
      userId,
      (adding) => this.checkQuota(ctx.projectId, userId, adding),
      () => this.keypairs.create({ name: b.name, userId, publicKey: publicKey!, type }),
      (created) => this.keypairs.delete(userId, created.name),
    );
    reply.code(atLeast(v, '2.2') ? 201 : 200);
    const out: Record<string, unknown> = { name: kp.name, public_key: kp.public_key, fingerprint: kp.fingerprint, user_id: kp.user_id };
    if (atLeast(v, '2.2')) out.type = kp.type;
    if (privateKey !== undefined) out.private_key = privateKey;
    return { keypair: out };
  }

  private readonly createLock = new KeyedLock();

  private async checkQuota(projectId: string, userId: string, adding: number): Promise<void> {
    const limit = (await this.quotas.getProjectQuotas(projectId, userId)).key_pairs;
    if (limit >= 0 && (await this.keypairs.countForUser(userId)) + adding > limit) throw keypairLimitExceeded();
  }

  @Get(':name')
  async show(@ReqCtx() ctx: RequestContext, @Param('name') name: string, @QueryParams() query: Query) {
    const userId = this.targetUser(ctx, single(query, 'user_id'));
    this.policy.authorize(ctx, `${P}:show`, { user_id: userId });
    return { keypair: detailView(ctx, await this.keypairs.get(userId, name)) };
  }

  @Delete(':name')
  @HttpCode(202)
  async remove(@ReqCtx() ctx: RequestContext, @Param('name') name: string, @QueryParams() query: Query, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const userId = this.targetUser(ctx, single(query, 'user_id'));
    this.policy.authorize(ctx, `${P}:delete`, { user_id: userId });
    await this.keypairs.delete(userId, name);
    if (atLeast(ctx.version, '2.2')) reply.code(204);
  }

  /** `?user_id=` (2.10+) names another user's keys; policy then requires admin. */
  private targetUser(ctx: RequestContext, requested: string | undefined): string {
    return requested !== undefined && atLeast(ctx.version, '2.10') ? requested : ctx.userId;
  }
}

function detailView(ctx: RequestContext, k: KeyPairRecord) {
  const body: Record<string, unknown> = {
    name: k.name,
    public_key: k.public_key,
    fingerprint: k.fingerprint,
    user_id: k.user_id,
    created_at: isoMicro(k.created_at),
    deleted: false,
    deleted_at: null,
    id: k.id,
    updated_at: isoMicro(k.updated_at),
  };
  if (atLeast(ctx.version, '2.2')) body.type = k.type;
  return body;
}
