/**
 * Nova's console exceptions (`nova/exception.py`), registered for the bus so that the API sees
 * the class the compute or consoleauth raised. Messages are Nova's.
 */
import { Conflict, Invalid, NovaError } from '../common/errors';
import { registerRemoteErrorClass } from '../rpc/rpc-errors';

/** `ConsoleTypeInvalid`: a type the protocol does not have (e.g. `xvpvnc`, or vnc + `serial`). 400. */
export class ConsoleTypeInvalid extends Invalid {
  static forType(consoleType: string): ConsoleTypeInvalid {
    return new ConsoleTypeInvalid(`Invalid console type ${consoleType}`);
  }
}

/** `ConsoleTypeUnavailable`: the protocol is disabled on that compute (or removed, rdp). 400. */
export class ConsoleTypeUnavailable extends Invalid {
  static forType(consoleType: string): ConsoleTypeUnavailable {
    return new ConsoleTypeUnavailable(`Unavailable console type ${consoleType}.`);
  }
}

/** `InstanceNotReady`: no host yet, or the guest is still being built. The API answers 409. */
export class InstanceNotReady extends Conflict {
  static forInstance(uuid: string): InstanceNotReady {
    return new InstanceNotReady(`Instance ${uuid} is not ready`);
  }
}

/** Nova's `NotImplementedError` from a driver without the console: 501 at the API. */
export class ConsoleNotSupported extends NovaError {
  override readonly code = 501;
  override readonly faultName = 'notImplemented';
  constructor(message = 'The requested functionality is not supported.') {
    super(message);
  }
}

registerRemoteErrorClass(ConsoleTypeInvalid);
registerRemoteErrorClass(ConsoleTypeUnavailable);
registerRemoteErrorClass(InstanceNotReady);
registerRemoteErrorClass(ConsoleNotSupported);
