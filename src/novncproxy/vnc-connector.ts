/**
 * How the console proxy reaches a guest's VNC server: a TCP connection to the host and port the
 * token names, or, when the compute said so (`ssh_tunnel`, from its `[vnc]
 * server_proxyclient_ssh_host`), a `direct-tcpip` channel through the hypervisor host's sshd to
 * that host and port as the hypervisor host sees them. The SSH side is the libvirt driver's
 * transport (SshShell): one connection per hypervisor host shared by all sessions, the proxy's
 * own key, and host keys always checked against the proxy's known_hosts (an unknown or changed
 * key is refused; no trust on first use). With an internal access path the proxy asks for it
 * with `CONNECT` first, as Nova's proxy does.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { SshShellPool } from '../compute/drivers/libvirt/ssh-shell';
import type { ConsoleConnection } from '../consoleauth/consoleauth.rpc-client';

export interface VncTunnelOptions {
  /** Login on the hypervisor hosts (`[vnc] novncproxy_ssh_user`). */
  username: string;
  privateKeyFile: string;
  knownHostsFile: string;
  connectTimeoutMs: number;
}

export interface VncStream {
  stream: Duplex;
  /** How it was reached, for the session log line: `127.0.0.1:5900` or `127.0.0.1:5900 via SSH root@hv1:22`. */
  route: string;
}

/** The defaults of `[vnc] novncproxy_ssh_*`: the user's own key and known_hosts. */
export function vncTunnelOptions(vnc: {
  novncproxy_ssh_user: string; novncproxy_ssh_private_key_file?: string; novncproxy_ssh_known_hosts_file?: string; novncproxy_ssh_connect_timeout: number;
}): VncTunnelOptions {
  const home = process.env.HOME ?? '/root';
  return {
    username: vnc.novncproxy_ssh_user,
    privateKeyFile: vnc.novncproxy_ssh_private_key_file ?? `${home}/.ssh/id_ed25519`,
    knownHostsFile: vnc.novncproxy_ssh_known_hosts_file ?? `${home}/.ssh/known_hosts`,
    connectTimeoutMs: vnc.novncproxy_ssh_connect_timeout * 1000,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, onLate: (value: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
    p.then((v) => {
      if (done) return onLate(v);
      done = true;
      clearTimeout(timer);
      resolve(v);
    }, (e: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

function directTcp(host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const tcp = connect({ host, port });
    tcp.setNoDelay(true);
    tcp.once('error', reject);
    tcp.once('connect', () => {
      tcp.removeListener('error', reject);
      resolve(tcp);
    });
  });
}

/** Sends `CONNECT <path>` and waits for a 200; data after the answer's head is kept for the session. */
function requestAccessPath(stream: Duplex, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (err: Error) => {
      stream.removeListener('data', onData);
      reject(err);
    };
    const onClose = () => fail(new Error('the connection closed during CONNECT'));
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 8192) fail(new Error('the internal access path answer is too long'));
        return;
      }
      stream.removeListener('data', onData);
      stream.removeListener('close', onClose);
      stream.removeListener('error', fail);
      stream.pause();
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/\d\.\d 200\b/.test(statusLine)) return reject(new Error(`the internal access path was refused: ${statusLine}`));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) stream.unshift(rest);
      resolve();
    };
    stream.once('error', fail);
    stream.once('close', onClose);
    stream.on('data', onData);
    stream.write(`CONNECT ${path} HTTP/1.1\r\n\r\n`);
  });
}

export class VncConnector {
  private readonly pool: SshShellPool;

  constructor(private readonly tunnel: VncTunnelOptions, private readonly timeoutMs: number) {
    this.pool = new SshShellPool({
      username: tunnel.username, privateKeyFile: tunnel.privateKeyFile, knownHostsFile: tunnel.knownHostsFile,
      strictHostKeyChecking: true, connectTimeoutMs: tunnel.connectTimeoutMs,
    });
  }

  /** The VNC server of a console, paused (the caller resumes it once piped). Rejects when it cannot be reached. */
  async connect(info: ConsoleConnection): Promise<VncStream> {
    const port = Number(info.port);
    const t = info.ssh_tunnel;
    const destroyLate = (s: Duplex) => s.destroy();
    let stream: Duplex;
    let route = `${info.host}:${port}`;
    if (t) {
      const shell = this.pool.get({ host: t.host, port: Number(t.port) });
      route += ` via SSH ${shell.description}`;
      stream = await withTimeout<Duplex>(shell.forwardOut(info.host, port), this.timeoutMs + this.tunnel.connectTimeoutMs, route, destroyLate);
    } else {
      stream = await withTimeout(directTcp(info.host, port), this.timeoutMs, route, destroyLate);
    }
    stream.pause();
    if (info.internal_access_path) {
      try {
        await withTimeout(requestAccessPath(stream, info.internal_access_path), this.timeoutMs, route, () => undefined);
      } catch (err) {
        stream.destroy();
        throw err;
      }
    }
    return { stream, route };
  }

  /** Closes the SSH connections to hypervisor hosts. */
  close(): Promise<void> {
    return this.pool.closeAll();
  }
}
