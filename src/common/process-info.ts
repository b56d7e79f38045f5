import { Role } from '../roles';

/** What this process is: its roles and host name, fixed at boot. */
export interface ProcessInfo {
  roles: Role[];
  host: string;
}
