/**
 * `nova identity ...`: manages the built-in identity service's users, projects and role
 * assignments in the API database (the service need not run). Passwords come from --password
 * or OS_PASSWORD and are never printed.
 */
import type { NovaConf } from '../config/options';
import { Invalid, NotFound } from '../common/errors';
import { openCheckedDatabase } from '../db/database.module';
import { IdentityProject, IdentityRepository, IdentityUser } from '../db/repositories/identity.repository';
import { hashPassword, newId } from '../identity/identity-crypto';
import { bootstrapIdentity, DEFAULT_DOMAIN } from '../identity/token.service';
import type { IdentityCommand, IdentityOption } from './argv';
import { renderTable } from './table';

export interface IdentityInvocation {
  command: IdentityCommand;
  name?: string;
  options: Partial<Record<IdentityOption, string>>;
}

export async function identityCommand(conf: NovaConf, inv: IdentityInvocation, print: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const ds = await openCheckedDatabase('api', conf);
  try {
    const repo = new IdentityRepository(ds);
    const o = inv.options;
    const password = o.password ?? env.OS_PASSWORD;
    switch (inv.command) {
      case 'identity bootstrap': {
        const r = await bootstrapIdentity(repo, {
          username: o.username ?? conf.identity.bootstrap_username,
          password: password ?? conf.identity.bootstrap_admin_password,
          projectName: o.project ?? conf.identity.bootstrap_project_name,
        });
        print(r.created.length ? `bootstrap: created ${r.created.join(', ')}` : 'bootstrap: already done');
        print(renderTable(['User', 'User ID', 'Project', 'Project ID'], [[r.user.name, r.user.id, r.project.name, r.project.id]]));
        if (r.user.password_hash === null && password === undefined) print(`warning: user ${r.user.name} has no password yet: run it again with --password (or OS_PASSWORD)`);
        return;
      }
      case 'identity project create': {
        const p = await repo.createProject({ id: newId(), name: inv.name as string, domain_id: DEFAULT_DOMAIN.id, description: o.description ?? '' });
        print(renderTable(['Field', 'Value'], [['id', p.id], ['name', p.name], ['domain_id', p.domain_id], ['description', p.description]]));
        return;
      }
      case 'identity user create': {
        if (o.role && !o.project) throw new Invalid('--role needs --project');
        const project = o.project ? await findProject(repo, o.project) : null;
        const u = await repo.createUser({ id: newId(), name: inv.name as string, domain_id: DEFAULT_DOMAIN.id, password_hash: password !== undefined ? await hashPassword(password) : null });
        if (project) await assign(repo, u, project, o.role ?? 'member');
        print(renderTable(['Field', 'Value'], [['id', u.id], ['name', u.name], ['domain_id', u.domain_id], ['enabled', u.enabled],
          ...(project ? [['project', `${project.name} (${o.role ?? 'member'})`]] : [])]));
        if (password === undefined) print(`warning: user ${u.name} has no password and cannot log in; set one with 'nova identity bootstrap --username ${u.name} --password ...'`);
        return;
      }
      case 'identity role add': {
        const user = await findUser(repo, o.user as string);
        const project = await findProject(repo, o.project as string);
        await assign(repo, user, project, inv.name as string);
        print(`role ${inv.name} of user ${user.name} on project ${project.name}: added`);
        return;
      }
      case 'identity user list': {
        const users = await repo.listUsers();
        const projects = new Map((await repo.listProjects()).map((p) => [p.id, p.name]));
        const roles = new Map((await repo.listRoles()).map((r) => [r.id, r.name]));
        const assignments = await repo.allAssignments();
        const rows = users.map((u) => [u.id, u.name, u.enabled, assignments.filter((a) => a.user_id === u.id)
          .map((a) => `${roles.get(a.role_id) ?? a.role_id}@${projects.get(a.project_id) ?? a.project_id}`).sort().join(', ')]);
        print(renderTable(['ID', 'Name', 'Enabled', 'Roles'], rows));
        return;
      }
    }
  } finally {
    await ds.destroy();
  }
}

async function findProject(repo: IdentityRepository, ref: string): Promise<IdentityProject> {
  const p = (await repo.findProject(ref, DEFAULT_DOMAIN.id)) ?? (await repo.getProject(ref));
  if (!p) throw new NotFound(`No project with a name or ID of '${ref}' exists.`);
  return p;
}

async function findUser(repo: IdentityRepository, ref: string): Promise<IdentityUser> {
  const u = (await repo.findUser(ref, DEFAULT_DOMAIN.id)) ?? (await repo.getUser(ref));
  if (!u) throw new NotFound(`No user with a name or ID of '${ref}' exists.`);
  return u;
}

async function assign(repo: IdentityRepository, user: IdentityUser, project: IdentityProject, roleName: string): Promise<void> {
  if (!/^[\w.-]{1,64}$/.test(roleName)) throw new Invalid(`invalid role name '${roleName}'`);
  const role = await repo.ensureRole(roleName, newId());
  await repo.addAssignment(user.id, project.id, role.id);
}
