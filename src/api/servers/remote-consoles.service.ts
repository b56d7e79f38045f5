import { Inject, Injectable } from '@nestjs/common';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ComputeConsoleRpcClient, ConsoleProtocol, CONSOLE_METHODS } from '../../compute/compute-console.rpc-client';
import { ConsoleAuthTokenStore } from '../../consoleauth/console-auth-token.store';
import { InstanceNotReady } from '../../consoleauth/console-errors';
import { consoleAccessUrl } from '../../consoleauth/console-url';
import { InstanceRecord, TaskState } from '../../objects/instance.object';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import type { ServerAction } from './action-requests';
import type { ActionResult } from './server-actions.service';
import { callerOf } from './server-create.service';
import { invalidState } from './state-checks';

type ConsoleAction = Extract<ServerAction, { action: 'os-getVNCConsole' | 'os-getSPICEConsole' | 'os-getSerialConsole' }>;

const ACTION_PROTOCOL: Record<ConsoleAction['action'], ConsoleProtocol> = {
  'os-getVNCConsole': 'vnc',
  'os-getSPICEConsole': 'spice',
  'os-getSerialConsole': 'serial',
};

/** Task states in which Nova refuses a console (`reject_instance_state`). */
const REJECTED_TASKS: ReadonlyArray<string | null> = [TaskState.DELETING, TaskState.MIGRATING];

export const REMOTE_CONSOLES_POLICY = 'os_compute_api:os-remote-consoles';

/**
 * Remote consoles on the API side (Nova's `compute/api.py get_*_console` plus the token the
 * compute manager would create): the instance must have a host and not be deleting or migrating
 * (409), the instance's compute answers where the console is (and refuses disabled or unknown
 * types: 400), then a token is stored (sha256 only, `[consoleauth] token_ttl`) and the URL built
 * as Nova does. nova-ts computes have no database, so the API writes the token row.
 */
@Injectable()
export class RemoteConsolesService {
  constructor(
    private readonly compute: ComputeConsoleRpcClient,
    private readonly tokens: ConsoleAuthTokenStore,
    private readonly policy: PolicyService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  /** The console URL of `inst`; the caller has checked the policy. */
  async consoleUrl(ctx: RequestContext, inst: InstanceRecord, protocol: ConsoleProtocol, consoleType: string): Promise<string> {
    if (!inst.host) throw InstanceNotReady.forInstance(inst.uuid);
    if (REJECTED_TASKS.includes(inst.task_state)) throw invalidState(CONSOLE_METHODS[protocol], inst.uuid, 'task_state', inst.task_state);
    const info = await this.compute.get_console(inst.host, protocol, {
      ctx: callerOf(ctx), instance_uuid: inst.uuid, console_type: consoleType, vm_state: inst.vm_state,
    });
    const { token } = await this.tokens.authorize({
      instance_uuid: inst.uuid, console_type: info.console_type, host: info.host, port: info.port,
      internal_access_path: info.internal_access_path, access_url_base: info.access_url_base,
    }, this.conf.consoleauth.token_ttl);
    return consoleAccessUrl(info.console_type, info.access_url_base, token);
  }

  handles(a: ServerAction): a is ConsoleAction {
    return a.action in ACTION_PROTOCOL;
  }

  /** The ≤2.5 actions: `{"console": {"type", "url"}}`, 200. Policy without a target, as Nova checks it. */
  async perform(ctx: RequestContext, inst: InstanceRecord, a: ConsoleAction): Promise<ActionResult> {
    this.policy.authorize(ctx, REMOTE_CONSOLES_POLICY, { project_id: ctx.projectId, user_id: ctx.userId });
    const url = await this.consoleUrl(ctx, inst, ACTION_PROTOCOL[a.action], a.type);
    return { status: 200, body: { console: { type: a.type, url } } };
  }
}
