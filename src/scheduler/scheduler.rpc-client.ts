import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';
import type { Selection } from './filter-scheduler';
import './no-valid-host';
import type { SelectDestinationsArgs } from './scheduler.manager';

/** Typed client of the scheduler's RPC API (Nova's SchedulerAPI, version 4.x). */
@Injectable()
export class SchedulerRpcClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  select_destinations(args: SelectDestinationsArgs, timeoutMs?: number): Promise<Selection[][]> {
    return this.bus.call<Selection[][]>({ topic: 'scheduler', version: '4.5' }, 'select_destinations', { ...args }, { timeoutMs });
  }
}
