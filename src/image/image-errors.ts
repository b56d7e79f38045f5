/** Errors of the image API, rendered as webob renders Glance's (status line, title, message). Pure. */
export class ImageApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ImageApiError';
  }
}

export const badRequest = (m: string) => new ImageApiError(400, m);
export const forbidden = (m: string) => new ImageApiError(403, m);
export const notFound = (m: string) => new ImageApiError(404, m);
export const conflict = (m: string) => new ImageApiError(409, m);

export const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error',
};

/**
 * webob's error body: JSON `{"message", "code", "title"}` when the client accepts JSON (the SDK
 * does), else the plain text `404 Not Found\n\n<message>\n\n   `.
 */
export function renderError(status: number, message: string, accept: string | undefined): { contentType: string; body: string } {
  const title = TITLES[status] ?? 'Error';
  if ((accept ?? '').includes('application/json')) {
    return { contentType: 'application/json; charset=UTF-8', body: JSON.stringify({ message, code: `${status} ${title}`, title }) };
  }
  return { contentType: 'text/plain; charset=UTF-8', body: `${status} ${title}\n\n${message}\n\n   ` };
}
