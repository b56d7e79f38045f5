/** Keystone's error bodies: `{"error": {"code": N, "title": "...", "message": "..."}}`. Pure. */

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error',
};

export const AUTH_REQUIRED = 'The request you have made requires authentication.';

export class KeystoneError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const badRequest = (m: string) => new KeystoneError(400, `${m} The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`);
export const unauthorized = () => new KeystoneError(401, AUTH_REQUIRED);
export const forbidden = () => new KeystoneError(403, 'You are not authorized to perform the requested action.');
export const notFound = (what: string) => new KeystoneError(404, `Could not find ${what}.`);

export function keystoneErrorBody(status: number, message: string): { error: { code: number; title: string; message: string } } {
  return { error: { code: status, title: TITLES[status] ?? 'Error', message } };
}
