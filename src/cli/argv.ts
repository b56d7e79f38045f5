/**
 * The `nova` command line. Pure: turns argv into what to do, or a UsageError whose one-line
 * message names the valid choices (the caller exits 2).
 *
 *   nova --role=api,conductor [--config-file F]... [--config-dir D]... [--host NAME]
 *   nova db sync | nova service list | nova config sample   (admin commands, same options)
 *   nova identity bootstrap|user create|user list|project create|role add [...]   (built-in identity)
 *   nova --version | nova --help
 */
import { UsageError } from '../common/errors';
import { Role, ROLES } from '../roles';

export const COMMANDS = ['db sync', 'service list', 'config sample', 'policy sample'] as const;
export type Command = (typeof COMMANDS)[number];

/** Admin commands of the built-in identity service; they take a name and options of their own. */
export const IDENTITY_COMMANDS = ['identity bootstrap', 'identity user create', 'identity user list', 'identity project create', 'identity role add'] as const;
export type IdentityCommand = (typeof IDENTITY_COMMANDS)[number];
const IDENTITY_OPTIONS = ['--username', '--password', '--project', '--description', '--user', '--role'] as const;
/** Positional arguments each identity command takes. */
const IDENTITY_ARGS: Record<IdentityCommand, string | null> = {
  'identity bootstrap': null, 'identity user create': 'NAME', 'identity user list': null, 'identity project create': 'NAME', 'identity role add': 'ROLE',
};

export interface CommonOptions {
  configFiles: string[];
  configDirs: string[];
  host?: string;
}

export type Invocation =
  | { kind: 'help' }
  | { kind: 'version' }
  | ({ kind: 'serve'; roles: Role[] } & CommonOptions)
  | ({ kind: 'command'; command: Command } & CommonOptions)
  | ({ kind: 'identity'; command: IdentityCommand; name?: string; options: Partial<Record<IdentityOption, string>> } & CommonOptions);

export type IdentityOption = 'username' | 'password' | 'project' | 'description' | 'user' | 'role';

const VALUE_OPTIONS = ['--role', '--config-file', '--config-dir', '--host'] as const;
const FLAG_OPTIONS = ['--help', '-h', '--version'] as const;

export const USAGE = `usage: nova --role=ROLE[,ROLE...] [--config-file FILE]... [--config-dir DIR]... [--host NAME]
       nova {${COMMANDS.join(' | ')}} [--config-file FILE]... [--config-dir DIR]...
       nova identity bootstrap [--username admin] [--password PW] [--project admin]
       nova identity user create NAME [--password PW] [--project P [--role R]]
       nova identity user list | nova identity project create NAME [--description D]
       nova identity role add --user U --project P ROLE
       nova --version | --help

roles: ${ROLES.join(', ')}, or all
  --role          roles this process runs, comma-separated (repeatable)
  --config-file   an INI file; repeatable, later files override earlier ones
  --config-dir    a directory whose *.conf files are read in name order, after the files
  --host          this host's name in the services table (overrides [DEFAULT] host)
commands:
  db sync         create or upgrade the main and API database schemas
  service list    show every registered service and whether it is up
  config sample   print a nova.conf with every option, its default and help
  policy sample   print the default policy as a commented policy.yaml
  identity ...    manage the built-in identity service's users, projects and roles (API database);
                  passwords may also come from OS_PASSWORD instead of --password`;

export function parseArgv(argv: readonly string[]): Invocation {
  const roles: Role[] = [];
  let roleGiven = false;
  const configFiles: string[] = [];
  const configDirs: string[] = [];
  let host: string | undefined;
  const words: string[] = [];
  let help = false;
  let version = false;
  const identityOptions: Partial<Record<IdentityOption, string>> = {};

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      words.push(arg);
      continue;
    }
    if ((FLAG_OPTIONS as readonly string[]).includes(arg)) {
      if (arg === '--version') version = true;
      else help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (words[0] === 'identity' && (IDENTITY_OPTIONS as readonly string[]).includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`option ${name} needs a value`);
      identityOptions[name.slice(2) as IdentityOption] = value;
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown option '${name}' (valid: ${[...VALUE_OPTIONS, ...FLAG_OPTIONS.filter((f) => f !== '-h')].join(', ')})`);
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`option ${name} needs a value`);
    value = value.trim();
    if (value === '') throw new UsageError(`option ${name} needs a value`);
    switch (name) {
      case '--role':
        roleGiven = true;
        roles.push(...parseRoles(value));
        break;
      case '--config-file':
        configFiles.push(value);
        break;
      case '--config-dir':
        configDirs.push(value);
        break;
      case '--host':
        host = value;
        break;
    }
  }

  if (help) return { kind: 'help' };
  if (version) return { kind: 'version' };
  const common: CommonOptions = { configFiles, configDirs, host };
  if (words[0] === 'identity') return parseIdentity(words, identityOptions, common, roleGiven);
  if (words.length > 0) {
    const command = words.join(' ');
    if (!(COMMANDS as readonly string[]).includes(command)) {
      throw new UsageError(`unknown command '${command}' (valid: ${COMMANDS.join(', ')})`);
    }
    if (roleGiven) throw new UsageError(`--role does not go with the '${command}' command`);
    return { kind: 'command', command: command as Command, ...common };
  }
  if (!roleGiven) throw new UsageError(`nothing to do: give --role=ROLE[,ROLE...] (valid: ${ROLES.join(', ')}, all) or a command (${COMMANDS.join(', ')})`);
  return { kind: 'serve', roles: [...new Set(roles)].sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b)), ...common };
}

function parseRoles(value: string): Role[] {
  const out: Role[] = [];
  for (const raw of value.split(',')) {
    const r = raw.trim();
    if (r === '') continue;
    if (r === 'all') out.push(...ROLES);
    else if ((ROLES as readonly string[]).includes(r)) out.push(r as Role);
    else throw new UsageError(`unknown role '${r}' (valid: ${ROLES.join(', ')}, all)`);
  }
  if (out.length === 0) throw new UsageError(`--role needs at least one role (valid: ${ROLES.join(', ')}, all)`);
  return out;
}

function parseIdentity(words: string[], options: Partial<Record<IdentityOption, string>>, common: CommonOptions, roleGiven: boolean): Invocation {
  const command = IDENTITY_COMMANDS.find((c) => {
    const n = c.split(' ').length;
    return words.slice(0, n).join(' ') === c && words.length - n <= (IDENTITY_ARGS[c] ? 1 : 0);
  });
  if (!command) throw new UsageError(`unknown command '${words.join(' ')}' (valid: ${IDENTITY_COMMANDS.map((c) => (IDENTITY_ARGS[c] ? `${c} ${IDENTITY_ARGS[c]}` : c)).join(', ')})`);
  if (roleGiven) throw new UsageError(`--role does not go with the '${command}' command`);
  const name = words[command.split(' ').length];
  if (IDENTITY_ARGS[command] && !name) throw new UsageError(`'nova ${command}' needs a ${IDENTITY_ARGS[command]}`);
  if (command === 'identity role add' && (!options.user || !options.project)) throw new UsageError("'nova identity role add' needs --user and --project");
  if (options.role && command !== 'identity user create') throw new UsageError(`--role does not go with the '${command}' command`);
  return { kind: 'identity', command, ...(name ? { name } : {}), options, ...common };
}
