/** Who a token belongs to, as an auth strategy reports it. */
export interface Identity {
  userId: string;
  projectId: string;
  roles: string[];
}

export interface AuthStrategy {
  readonly name: string;
  /** Resolves the caller, or throws Unauthorized. */
  authenticate(headers: Record<string, string | string[] | undefined>): Promise<Identity>;
}
