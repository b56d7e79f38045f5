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
    help: 'Address of this compute host that the console proxy connects to for VNC; when the proxy ' +
      'cannot reach it directly, it tunnels over SSH (see [libvirt]).',
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
