import { NovaError } from '../common/errors';
import { registerRemoteErrorClass } from '../rpc/rpc-errors';

/** No host passes the filters. Crosses the bus with its class (conductor and API raise it again). */
export class NoValidHost extends NovaError {
  constructor(reason = 'There are not enough hosts available.') {
    super(`No valid host was found. ${reason}`.trim());
  }
}

registerRemoteErrorClass(NoValidHost, { factory: (message) => Object.assign(new NoValidHost(''), { message }) });
