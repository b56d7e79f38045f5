import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { parse as parseYaml } from 'yaml';
import { ConfigError, Forbidden } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { RequestContext } from '../http/request-context';
import { defaultPolicies } from './default-policies';
import { Check, Credentials, evaluate, parseCheck, PolicySyntaxError, Target } from './policy-engine';

/**
 * Policy enforcement for the API: Nova's defaults, overridden rule by rule by the YAML (or JSON)
 * file `[oslo_policy] policy_file` when it exists. A relative path is looked up in /etc/nova
 * and the working directory, as oslo.config's search does.
 */
@Injectable()
export class PolicyService {
  private readonly rules = new Map<string, Check>();
  readonly source: string;

  constructor(@Inject(NOVA_CONF) conf: NovaConf) {
    const texts = defaultPolicies(conf.oslo_policy.enforce_new_defaults);
    const file = findPolicyFile(conf.oslo_policy.policy_file);
    this.source = file ?? 'built-in defaults';
    if (file) Object.assign(texts, readPolicyFile(file));
    const errors: string[] = [];
    for (const [name, text] of Object.entries(texts)) {
      try {
        this.rules.set(name, parseCheck(text));
      } catch (err) {
        errors.push(`${file ?? 'policy'}: rule '${name}': ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) throw new ConfigError(errors);
  }

  credentialsOf(ctx: Pick<RequestContext, 'userId' | 'projectId' | 'roles' | 'isAdmin'>): Credentials {
    return { user_id: ctx.userId, project_id: ctx.projectId, roles: ctx.roles, is_admin: ctx.isAdmin };
  }

  /** Whether the rule allows it; the target defaults to the caller's own project and user. */
  check(ctx: RequestContext, rule: string, target?: Target): boolean {
    const check = this.rules.get(rule);
    if (!check) return false;
    const t = target ?? { project_id: ctx.projectId, user_id: ctx.userId };
    return evaluate(check, this.credentialsOf(ctx), t, (name) => this.rules.get(name));
  }

  /** Throws Nova's 403 when the rule does not allow it. */
  authorize(ctx: RequestContext, rule: string, target?: Target): void {
    if (!this.check(ctx, rule, target)) throw new Forbidden(`Policy doesn't allow ${rule} to be performed.`);
  }

  /** Nova decides `is_admin` by the context_is_admin rule. */
  isAdmin(roles: string[], userId: string, projectId: string): boolean {
    const check = this.rules.get('context_is_admin');
    if (!check) return false;
    return evaluate(check, { user_id: userId, project_id: projectId, roles, is_admin: false }, {}, (n) => this.rules.get(n));
  }
}

function findPolicyFile(name: string): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  for (const dir of ['/etc/nova', process.cwd()]) {
    const p = resolve(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function readPolicyFile(file: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError([`${file}: expected a mapping of rule names to check strings`]);
  const out: Record<string, string> = {};
  const errors: string[] = [];
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v !== 'string') errors.push(`${file}: rule '${k}' must be a string`);
    else out[k] = v;
  }
  if (errors.length) throw new ConfigError(errors);
  return out;
}

export { PolicySyntaxError };
