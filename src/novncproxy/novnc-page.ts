/**
 * The noVNC page the proxy serves at `vnc_auto.html`, `vnc_lite.html` and `vnc.html`. The npm
 * package `@novnc/novnc` ships the client library (`core/`, `vendor/`) but not noVNC's HTML
 * pages, so this is a small page in the spirit of noVNC's `vnc_lite.html`, reading the same query
 * parameters: `path` (Nova puts `?token=<token>` there), `token`, `password`, `scale`,
 * `view_only`. It exposes the connection state as `document.body.dataset.state` (`connecting`,
 * `connected`, `disconnected`, `failed`) for headless-browser checks. Pure.
 */
export const NOVNC_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>noVNC</title>
<style>
  html, body { margin: 0; height: 100%; background: #282828; color: #fff; font: 14px sans-serif; }
  body { display: flex; flex-direction: column; }
  #top { display: flex; gap: 1em; align-items: center; padding: 4px 8px; background: #6e84a3; }
  #status { flex: 1; }
  #screen { flex: 1; overflow: hidden; }
</style>
</head>
<body data-state="connecting">
<div id="top"><div id="status">Loading</div><button id="cad" type="button">Send CtrlAltDel</button></div>
<div id="screen"></div>
<script type="module">
import RFB from './core/rfb.js';

const params = new URLSearchParams(window.location.search);
const status = (text, state) => {
  document.getElementById('status').textContent = text;
  if (state) document.body.dataset.state = state;
};
let path = params.get('path') ?? 'websockify';
const token = params.get('token');
if (token && !/[?&]token=/.test(path)) path += (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
const url = (window.location.protocol === 'https:' ? 'wss' : 'ws') + '://' + window.location.host + '/' + path.replace(/^\\/+/, '');
const password = params.get('password');

status('Connecting');
const rfb = new RFB(document.getElementById('screen'), url, {
  wsProtocols: ['binary'],
  credentials: password ? { password } : undefined,
});
rfb.viewOnly = params.get('view_only') === 'true';
rfb.scaleViewport = params.get('scale') !== 'false';
rfb.addEventListener('connect', () => status('Connected to ' + (document.title || 'the server'), 'connected'));
rfb.addEventListener('disconnect', (e) => status(e.detail.clean ? 'Disconnected' : 'Something went wrong, connection is closed', e.detail.clean ? 'disconnected' : 'failed'));
rfb.addEventListener('credentialsrequired', () => {
  const pw = window.prompt('Password required:');
  rfb.sendCredentials({ password: pw ?? '' });
});
rfb.addEventListener('desktopname', (e) => { document.title = e.detail.name; });
document.getElementById('cad').addEventListener('click', () => rfb.sendCtrlAltDel());
window.rfb = rfb;
</script>
</body>
</html>
`;
