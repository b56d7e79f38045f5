import type { ApiVersion } from '../microversion/api-version';

/** Everything the API knows about one request: who asks, at which version, under which ids. */
export interface RequestContext {
  requestId: string;
  globalRequestId: string | null;
  userId: string;
  projectId: string;
  roles: string[];
  isAdmin: boolean;
  authToken: string;
  version: ApiVersion;
  /** The project id when the client used the legacy /v2.1/{project_id}/... URL form. */
  urlProjectId: string | null;
  /** Scheme://host[:port] the client used, for links. */
  baseUrl: string;
}
