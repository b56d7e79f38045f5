#!/usr/bin/env bash
# A real Keystone and Glance from Debian's packages, on loopback, for the tests that check nova-ts
# against them (test/e2e/real-keystone-glance.test.ts). On this kind of machine (root, no systemd):
#   - the libraries only (python3-keystone, python3-glance, python3-keystonemiddleware) and uWSGI,
#     not the `keystone`/`glance-api` packages, whose postinst scripts want debconf answers,
#     dbconfig-common and an init system;
#   - private configs, SQLite databases, fernet/credential keys and image files under $DIR;
#   - keystone: db_sync, fernet_setup, credential_setup, bootstrap (admin, RegionOne, identity
#     endpoint), served by uWSGI (keystone-wsgi-public) on 127.0.0.1:$KEYSTONE_PORT with ONE
#     single-threaded worker (SQLite: threads share connections badly, two processes lock each
#     other out) and `Connection: close` (its http-socket has no keep-alive; clients reusing a
#     connection got resets);
#   - glance-api (eventlet, one worker) on 127.0.0.1:$GLANCE_PORT, file store, keystonemiddleware
#     with the glance service user; the paste pipeline is written here (glance-common has it);
#   - the service project, the nova and glance service users (admin in it), a demo project and
#     user (member), the image service and its endpoint. The compute endpoint is registered by
#     the test, which knows its port.
# Writes $DIR/openstack.env (KEY=VALUE lines, no quoting needed; mode 0600: it holds passwords).
# Idempotent: a re-run installs nothing new, keeps databases, keys and passwords, restarts only
# what is down or reconfigured.
#
# Usage: openstack-services-setup.sh [stop]   (stop: stop both services, keep their data)
# Environment: NOVA_TS_OPENSTACK_DIR (default /var/lib/nova-ts-openstack), NOVA_TS_KEYSTONE_PORT
# (35357; not 5000, the built-in identity's port in the all-in-one), NOVA_TS_GLANCE_PORT (9393).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

DIR=${NOVA_TS_OPENSTACK_DIR:-/var/lib/nova-ts-openstack}
KEYSTONE_PORT=${NOVA_TS_KEYSTONE_PORT:-35357}
GLANCE_PORT=${NOVA_TS_GLANCE_PORT:-9393}
REGION=RegionOne
PY=/usr/bin/python3 # Debian's, whatever python3 comes first in PATH
PACKAGES=(python3-keystone python3-glance python3-keystonemiddleware python3-keystoneclient python3-openstackclient
  uwsgi-core uwsgi-plugin-python3 curl)

SCRIPT_NAME=openstack-services-setup
# shellcheck source=lib/lab-common.sh
. "$(dirname "$0")/lib/lab-common.sh"
wal() { "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA journal_mode=WAL").fetchone()[0]); c.close()' "$1" >/dev/null; }

[ "$(id -u)" = 0 ] || die "must run as root"
case "$DIR" in /*) ;; *) die "NOVA_TS_OPENSTACK_DIR must be an absolute path" ;; esac
[[ "$DIR" =~ ^[A-Za-z0-9_./-]+$ ]] || die "NOVA_TS_OPENSTACK_DIR may only contain letters, digits, _ . / -"
[[ "$KEYSTONE_PORT" =~ ^[0-9]+$ && "$GLANCE_PORT" =~ ^[0-9]+$ ]] || die "ports must be numbers"
KPID="$DIR/keystone/uwsgi.pid"
GPID="$DIR/glance-api.pid"

case "${1:-}" in
  "") ;;
  stop) # Stops both services (their data stays; a later run starts them again).
    stop_pidfile "$GPID" python3; stop_pidfile "$KPID" uwsgi; log "stopped"; exit 0 ;;
  *) die "usage: $0 [stop]" ;;
esac

# ---------------------------------------------------------------- packages
apt_install "${PACKAGES[@]}"

install -d -m 0700 "$DIR" "$DIR/keystone" "$DIR/glance-data" "$DIR/glance-data/images" "$DIR/glance-data/staging" "$DIR/glance-data/tasks"
install -d -m 0755 "$DIR/logs"
# Everything Python runs from / : a directory named like a module in the cwd would shadow it.
cd /

# ---------------------------------------------------------------- secrets (kept across runs)
SECRETS="$DIR/secrets.env"
if [ ! -s "$SECRETS" ]; then
  umask 077
  {
    printf 'ADMIN_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    printf 'NOVA_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    printf 'GLANCE_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    printf 'DEMO_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  } >"$SECRETS"
  umask 022
fi
# shellcheck disable=SC1090
. "$SECRETS"

# ---------------------------------------------------------------- keystone
KCONF="$DIR/keystone/keystone.conf"
cat >"$KCONF.new" <<EOF
[DEFAULT]
log_file = $DIR/logs/keystone-app.log
[database]
connection = sqlite:///$DIR/keystone/keystone.sqlite?check_same_thread=false
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $DIR/keystone/fernet-keys
[fernet_receipts]
key_repository = $DIR/keystone/fernet-keys
[credential]
key_repository = $DIR/keystone/credential-keys
[identity]
# bcrypt's minimum: a password login costs ~10 ms instead of ~1 s (test passwords are random).
password_hash_rounds = 4
[cache]
# In-process: one worker, so invalidations (revocations) are seen at once. Without it a token
# validation runs ~950 SQL queries (role lookups), over a second on a busy machine.
enabled = true
backend = dogpile.cache.memory
EOF
chmod 0600 "$KCONF.new"
keystone_conf_changed=0
if ! cmp -s "$KCONF.new" "$KCONF"; then mv "$KCONF.new" "$KCONF"; keystone_conf_changed=1; else rm -f "$KCONF.new"; fi

KM=(keystone-manage --config-file "$KCONF")
if [ ! -s "$DIR/keystone/bootstrapped" ] || [ "$keystone_conf_changed" = 1 ]; then
  log "keystone: db_sync, fernet_setup, credential_setup, bootstrap"
  # keystone-manage prints an eventlet traceback at interpreter exit (harmless); the log keeps it.
  "${KM[@]}" db_sync >>"$DIR/logs/keystone-manage.log" 2>&1 || die "keystone-manage db_sync failed: see $DIR/logs/keystone-manage.log"
  [ -s "$DIR/keystone/fernet-keys/0" ] || "${KM[@]}" fernet_setup --keystone-user root --keystone-group root >>"$DIR/logs/keystone-manage.log" 2>&1
  [ -s "$DIR/keystone/credential-keys/0" ] || "${KM[@]}" credential_setup --keystone-user root --keystone-group root >>"$DIR/logs/keystone-manage.log" 2>&1
  [ -s "$DIR/keystone/fernet-keys/0" ] && [ -s "$DIR/keystone/credential-keys/0" ] || die "keystone keys missing: see $DIR/logs/keystone-manage.log"
  "${KM[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" --bootstrap-region-id "$REGION" \
    --bootstrap-public-url "http://127.0.0.1:$KEYSTONE_PORT/v3" --bootstrap-internal-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
    --bootstrap-admin-url "http://127.0.0.1:$KEYSTONE_PORT/v3" >>"$DIR/logs/keystone-manage.log" 2>&1 \
    || die "keystone-manage bootstrap failed: see $DIR/logs/keystone-manage.log"
  # WAL: a reader (even a leaked cursor) no longer blocks a writer with "database is locked".
  wal "$DIR/keystone/keystone.sqlite"
  date -u +%FT%TZ >"$DIR/keystone/bootstrapped"
fi

wait_http() { # url seconds what
  for _ in $(seq $(($2 * 5))); do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
if [ "$keystone_conf_changed" = 1 ] && alive "$KPID" uwsgi; then log "keystone: config changed, restarting"; stop_pidfile "$KPID" uwsgi; fi
if alive "$KPID" uwsgi && ! wait_http "http://127.0.0.1:$KEYSTONE_PORT/v3" 10; then log "keystone: running but not answering, restarting"; stop_pidfile "$KPID" uwsgi; fi
if ! alive "$KPID" uwsgi; then
  log "keystone: starting uWSGI on 127.0.0.1:$KEYSTONE_PORT"
  uwsgi --plugin python3 --http-socket "127.0.0.1:$KEYSTONE_PORT" --add-header 'Connection: close' \
    --wsgi-file /usr/bin/keystone-wsgi-public --env "OS_KEYSTONE_CONFIG_FILES=$KCONF" --chdir / \
    --master --processes 1 --threads 1 --die-on-term --need-app --buffer-size 65535 \
    --pidfile "$KPID" --daemonize "$DIR/logs/keystone.log"
fi
wait_http "http://127.0.0.1:$KEYSTONE_PORT/v3" 60 || die "keystone did not answer on 127.0.0.1:$KEYSTONE_PORT: see $DIR/logs/keystone.log"

# ---------------------------------------------------------------- users, projects, services
log "keystone: service project, nova/glance/demo users, image service"
AUTH_URL="http://127.0.0.1:$KEYSTONE_PORT/v3" ADMIN_PASSWORD="$ADMIN_PASSWORD" NOVA_PASSWORD="$NOVA_PASSWORD" \
GLANCE_PASSWORD="$GLANCE_PASSWORD" DEMO_PASSWORD="$DEMO_PASSWORD" REGION="$REGION" \
GLANCE_URL="http://127.0.0.1:$GLANCE_PORT" "$PY" - <<'EOF' >>"$DIR/logs/keystone-resources.log" 2>&1 || die "creating keystone resources failed: see $DIR/logs/keystone-resources.log"
import os
from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client

env = os.environ
auth = v3.Password(auth_url=env['AUTH_URL'], username='admin', password=env['ADMIN_PASSWORD'], project_name='admin',
                   user_domain_id='default', project_domain_id='default')
ks = client.Client(session=session.Session(auth=auth), interface='public')

def project(name):
    found = ks.projects.list(name=name, domain='default')
    return found[0] if found else ks.projects.create(name=name, domain='default')

def role(name):
    found = ks.roles.list(name=name)
    return found[0] if found else ks.roles.create(name=name)

def user(name, password, proj, roles):
    found = ks.users.list(name=name, domain='default')
    u = ks.users.update(found[0], password=password) if found else ks.users.create(name=name, password=password, domain='default', default_project=proj)
    for r in roles:
        ks.roles.grant(role(r), user=u, project=proj)
    return u

service = project('service')
user('nova', env['NOVA_PASSWORD'], service, ['admin'])
user('glance', env['GLANCE_PASSWORD'], service, ['admin'])
demo = project('demo')
user('demo', env['DEMO_PASSWORD'], demo, ['member', 'reader'])

images = [s for s in ks.services.list(type='image')] or [ks.services.create(name='glance', type='image')]
for s in images[1:]:
    ks.services.delete(s)
wanted = env['GLANCE_URL']
have = [e for e in ks.endpoints.list(service=images[0], interface='public')]
for e in have:
    if e.url != wanted:
        ks.endpoints.delete(e)
if not any(e.url == wanted for e in have):
    ks.endpoints.create(service=images[0], url=wanted, interface='public', region=env['REGION'])
print('keystone resources ok')
EOF

# ---------------------------------------------------------------- glance
GCONF="$DIR/glance-api.conf"
GPASTE="$DIR/glance-api-paste.ini"
cat >"$GPASTE.new" <<'EOF'
[pipeline:glance-api-keystone]
pipeline = healthcheck http_proxy_to_wsgi versionnegotiation authtoken context rootapp

[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app

[app:apiversions]
paste.app_factory = glance.api.versions:create_resource

[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory

[filter:healthcheck]
paste.filter_factory = oslo_middleware:Healthcheck.factory

[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory

[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
EOF
cat >"$GCONF.new" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
log_file = $DIR/logs/glance-api.log
enabled_backends = fs:file
[database]
connection = sqlite:///$DIR/glance-data/glance.sqlite
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $DIR/glance-data/images
[os_glance_staging_store]
filesystem_store_datadir = $DIR/glance-data/staging
[os_glance_tasks_store]
filesystem_store_datadir = $DIR/glance-data/tasks
[paste_deploy]
flavor = keystone
config_file = $GPASTE
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KEYSTONE_PORT/v3
auth_url = http://127.0.0.1:$KEYSTONE_PORT/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = $GLANCE_PASSWORD
EOF
chmod 0600 "$GCONF.new"
glance_conf_changed=0
for f in "$GCONF" "$GPASTE"; do
  if ! cmp -s "$f.new" "$f"; then mv "$f.new" "$f"; glance_conf_changed=1; else rm -f "$f.new"; fi
done
if [ ! -s "$DIR/glance-data/synced" ] || [ "$glance_conf_changed" = 1 ]; then
  log "glance: db_sync"
  "$PY" -c 'import sys; from glance.cmd.manage import main; sys.exit(main())' --config-file "$GCONF" db_sync \
    >>"$DIR/logs/glance-manage.log" 2>&1 || die "glance-manage db_sync failed: see $DIR/logs/glance-manage.log"
  wal "$DIR/glance-data/glance.sqlite"
  date -u +%FT%TZ >"$DIR/glance-data/synced"
fi
if [ "$glance_conf_changed" = 1 ] && alive "$GPID" python3; then log "glance: config changed, restarting"; stop_pidfile "$GPID" python3; fi
if alive "$GPID" python3 && ! wait_http "http://127.0.0.1:$GLANCE_PORT/healthcheck" 10; then log "glance: running but not answering, restarting"; stop_pidfile "$GPID" python3; fi
if ! alive "$GPID" python3; then
  log "glance: starting glance-api on 127.0.0.1:$GLANCE_PORT"
  # The parent forks the worker and stops it on SIGTERM; setsid: no terminal, own session.
  setsid "$PY" -c 'import sys; from glance.cmd.api import main; sys.exit(main())' --config-file "$GCONF" \
    </dev/null >>"$DIR/logs/glance-api.out" 2>&1 &
  echo $! >"$GPID"
fi
wait_http "http://127.0.0.1:$GLANCE_PORT/healthcheck" 60 || die "glance-api did not answer on 127.0.0.1:$GLANCE_PORT: see $DIR/logs/glance-api.log"

# ---------------------------------------------------------------- openstack.env
umask 077
cat >"$DIR/openstack.env.tmp" <<EOF
NOVA_TS_OS_DIR=$DIR
NOVA_TS_OS_AUTH_URL=http://127.0.0.1:$KEYSTONE_PORT/v3
NOVA_TS_OS_GLANCE_URL=http://127.0.0.1:$GLANCE_PORT
NOVA_TS_OS_REGION=$REGION
NOVA_TS_OS_ADMIN_USER=admin
NOVA_TS_OS_ADMIN_PROJECT=admin
NOVA_TS_OS_ADMIN_PASSWORD=$ADMIN_PASSWORD
NOVA_TS_OS_SERVICE_PROJECT=service
NOVA_TS_OS_NOVA_USER=nova
NOVA_TS_OS_NOVA_PASSWORD=$NOVA_PASSWORD
NOVA_TS_OS_DEMO_USER=demo
NOVA_TS_OS_DEMO_PROJECT=demo
NOVA_TS_OS_DEMO_PASSWORD=$DEMO_PASSWORD
NOVA_TS_OS_KEYSTONE_PID_FILE=$KPID
NOVA_TS_OS_GLANCE_PID_FILE=$GPID
NOVA_TS_OS_KEYSTONE_LOG=$DIR/logs/keystone.log
NOVA_TS_OS_GLANCE_LOG=$DIR/logs/glance-api.log
EOF
mv "$DIR/openstack.env.tmp" "$DIR/openstack.env"
umask 022
log "ready in $(elapsed) s; environment in $DIR/openstack.env"
