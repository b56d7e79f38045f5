/**
 * Nova's fault bodies: `{"<faultName>": {"code": N, "message": "..."}}`. Pure.
 */
import { NovaError } from '../../common/errors';

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export const FAULT_CONTENT_TYPE = 'application/json; charset=UTF-8';

export const UNEXPECTED_MESSAGE =
  'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.';

export interface RenderedFault {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export function faultBody(code: number, message: string): Record<string, { code: number; message: string }> {
  return { [FAULT_NAMES[code] ?? 'computeFault']: { code, message } };
}

/**
 * Renders any error as Nova would. NovaErrors carry their status and message; anything else is
 * a 500 whose message names only the error class (details go to the log, never to the client).
 */
export function renderFault(err: unknown, authUri?: string): RenderedFault {
  const headers: Record<string, string> = { 'content-type': FAULT_CONTENT_TYPE };
  if (err instanceof NovaError) {
    if (err.code === 401) {
      // keystonemiddleware's shape, which clients expect for 401.
      if (authUri) headers['www-authenticate'] = `Keystone uri="${authUri}"`;
      return {
        status: 401,
        body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } },
        headers,
      };
    }
    return { status: err.code, body: faultBody(err.code, err.message), headers };
  }
  const cls = err instanceof Error ? err.constructor.name : typeof err;
  return { status: 500, body: faultBody(500, `${UNEXPECTED_MESSAGE}\n<class '${cls}'>`), headers };
}
