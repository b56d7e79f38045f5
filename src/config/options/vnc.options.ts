/** [vnc], [console] and [consoleauth]: VNC consoles, the proxy and their tokens. */
import { boolOpt, intOpt, listOpt, portOpt, section, strOpt, uriOpt } from '../option-types';

export const vncSection = section('VNC consoles: what guests listen on and where the noVNC proxy is.', {
  enabled: boolOpt({
    default: true, deprecated: ['DEFAULT.vnc_enabled'], help: 'Give guests a VNC graphical console.',
  }),
  server_listen: strOpt({
    default: '127.0.0.1', deprecated: ['vncserver_listen', 'DEFAULT.vncserver_listen'],
    help: 'Address on the hypervisor host that guests\' VNC servers listen on.',
  }),
  server_proxyclient_address: strOpt({
    default: '127.0.0.1', deprecated: ['vncserver_proxyclient_address', 'DEFAULT.vncserver_proxyclient_address'],
    help: 'Address of this compute host that the console proxy connects to for VNC. With ' +
      'server_proxyclient_ssh_host, the address as the hypervisor host sees it (the proxy tunnels over SSH).',
  }),
  server_proxyclient_ssh_host: strOpt({
    help: 'When set, the console proxy does not connect to server_proxyclient_address directly: it opens an SSH ' +
      'connection to this host (the hypervisor host\'s sshd, as the proxy reaches it) and forwards to ' +
      'server_proxyclient_address:<VNC port> from there, so server_proxyclient_address is then the VNC address as the ' +
      'hypervisor host sees it (usually server_listen, 127.0.0.1). For hypervisor hosts whose VNC ports the proxy cannot ' +
      'reach. The proxy\'s SSH identity and known_hosts are the novncproxy_ssh_* options of the proxy host (nova-ts).',
  }),
  server_proxyclient_ssh_port: portOpt({
    default: 22, help: 'SSH port of server_proxyclient_ssh_host (nova-ts).',
  }),
  novncproxy_base_url: uriOpt({
    default: 'http://127.0.0.1:6080/vnc_auto.html', deprecated: ['DEFAULT.novncproxy_base_url'],
    help: 'Public URL of the noVNC page that clients are sent to; the console token is appended. ' +
      'Use vnc_lite.html with noVNC 1.0 or later.',
  }),
  novncproxy_host: strOpt({
    default: '0.0.0.0', deprecated: ['DEFAULT.novncproxy_host'], help: 'Address the novncproxy role listens on.',
  }),
  novncproxy_port: portOpt({
    default: 6080, deprecated: ['DEFAULT.novncproxy_port'], help: 'Port the novncproxy role listens on.',
  }),
  novncproxy_max_connections: intOpt({
    default: 100, min: 1,
    help: 'Console sessions (open or being set up) one novncproxy process holds at once; more are refused with 503 (nova-ts).',
  }),
  novncproxy_ssh_user: strOpt({
    default: 'root',
    help: 'User the console proxy logs in as on hypervisor hosts that are reached through an SSH tunnel ' +
      '(computes with server_proxyclient_ssh_host). It only needs TCP forwarding: a dedicated account with ' +
      '`restrict,port-forwarding` in authorized_keys is enough (nova-ts).',
  }),
  novncproxy_ssh_private_key_file: strOpt({
    help: 'Private key of the console proxy for SSH tunnels. Unset: ~/.ssh/id_ed25519 (nova-ts).',
  }),
  novncproxy_ssh_known_hosts_file: strOpt({
    help: 'known_hosts file holding the host keys of the hypervisor hosts the console proxy tunnels to; a host that ' +
      'is not in it, or offers another key, is refused. Unset: ~/.ssh/known_hosts (nova-ts).',
  }),
  novncproxy_ssh_connect_timeout: intOpt({
    default: 10, min: 1, unit: 'seconds',
    help: 'How long opening an SSH connection to a hypervisor host may take; the console is then refused (nova-ts).',
  }),
  auth_schemes: listOpt({
    default: ['none'], choices: ['none', 'vencrypt'],
    help: 'RFB authentication schemes the proxy may use towards compute hosts, in order of preference.',
  }),
});

export const consoleauthSection = section('Console authorization tokens.', {
  token_ttl: intOpt({
    default: 600, min: 0, unit: 'seconds', deprecated: ['DEFAULT.console_token_ttl'],
    help: 'How long a console token stays valid.',
  }),
});

export const consoleSection = section('The console proxies.', {
  allowed_origins: listOpt({
    default: [], deprecated: ['DEFAULT.console_allowed_origins'],
    help: 'Host names (besides the proxy\'s own) that a browser may open a console WebSocket from (the Origin header).',
  }),
});

/**
 * [DEFAULT] options of the console proxy (Nova's `nova/conf/novnc.py`, shared by its proxies):
 * TLS on the proxy's own listener.
 */
export const defaultConsoleProxyOptions = {
  ssl_only: boolOpt({
    default: false,
    help: 'Refuse plain (non-TLS) connections to the console proxy; needs cert. Without it, a proxy with a readable ' +
      'cert accepts both TLS and plain connections on the same port.',
  }),
  cert: strOpt({
    default: 'self.pem',
    help: 'PEM file with the console proxy\'s TLS certificate (and its key, unless key is set). When the file is not ' +
      'there, the proxy serves plain HTTP/WebSocket only (an error with ssl_only). A relative path is resolved against ' +
      'the working directory.',
  }),
  key: strOpt({
    help: 'PEM file with the private key of cert, when it is not in the cert file.',
  }),
};
