/**
 * HostShell over SSH against the real private sshd of scripts/hypervisor-setup.sh (skipped with a
 * message when its lab.env is absent; .ci/run sets NOVA_TS_REQUIRE_LAB=1 so CI fails instead), and
 * the same contract for LocalShell.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HostCommandError, HostShell, runChecked } from '../../src/compute/drivers/libvirt/host-shell';
import { HostCommandTimeoutError, HostShellError, LocalShell } from '../../src/compute/drivers/libvirt/local-shell';
import {
  HostKeyVerificationError, SshShell, SshShellOptions, SshShellPool, checkHostKey, fingerprintOf, hostPatternsMatch,
  parseKnownHosts,
} from '../../src/compute/drivers/libvirt/ssh-shell';
import { HOSTILE_ARGS, PWNED } from '../utils/hostile-args';
import { loadHypervisorLab } from '../utils/hypervisor-lab';

const lab = loadHypervisorLab();
const labSkip = typeof lab === 'string' ? lab : false;
if (labSkip) console.log(`# ssh-shell: SKIPPING the SSH tests: ${labSkip}`);

function labOptions(over: Partial<SshShellOptions> = {}): SshShellOptions {
  if (typeof lab === 'string') throw new Error(lab);
  return {
    host: lab.sshHost, port: lab.sshPort, username: lab.sshUser, privateKeyFile: lab.privateKeyFile,
    knownHostsFile: lab.knownHostsFile, ...over,
  };
}

/** An SSH public key blob for ed25519 (what known_hosts holds, base64). */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const s1 = Buffer.from('ssh-ed25519');
  const len = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  return Buffer.concat([len(s1.length), s1, len(raw.length), raw]);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The contract both implementations keep. */
function contract(name: string, make: () => HostShell, skip: string | false): void {
  describe(`${name}: HostShell contract`, { skip }, () => {
    let shell: HostShell;
    let dir: string;
    before(async () => {
      shell = make();
      dir = (await runChecked(shell, ['mktemp', '-d', '/tmp/nova-shell-test.XXXXXX'])).trim();
    });
    after(async () => {
      if (dir) await shell.run(['rm', '-rf', dir]);
      await shell.close();
    });

    it('returns stdout, stderr and the exit status', async () => {
      const ok = await shell.run(['sh', '-c', 'echo out; echo err >&2; exit 0']);
      assert.deepEqual(ok, { stdout: 'out\n', stderr: 'err\n', code: 0 });
      const r42 = await shell.run(['sh', '-c', 'exit 42']);
      assert.equal(r42.code, 42);
      const ls = await shell.run(['ls', '/nonexistent-nova-ts']);
      assert.equal(ls.code, 2);
      assert.match(ls.stderr, /No such file or directory/);
      await assert.rejects(runChecked(shell, ['ls', '/nonexistent-nova-ts']),
        (e: unknown) => e instanceof HostCommandError && /ls \/nonexistent-nova-ts failed \(exit 2\).*No such file/.test(e.message));
    });

    it('rejects a command that cannot be run', async () => {
      await assert.rejects(shell.run(['no-such-command-nova-ts', 'x']),
        (e: unknown) => e instanceof HostShellError && /cannot run no-such-command-nova-ts/.test(e.message));
      await assert.rejects(shell.run([]), HostShellError);
      await assert.rejects(async () => shell.run(['echo', 'a\0b']), HostShellError);
    });

    it('passes hostile arguments through byte for byte and runs none of them', async () => {
      await shell.run(['rm', '-f', PWNED]);
      for (const arg of HOSTILE_ARGS) {
        const r = await shell.run(['printf', '%s', arg]);
        assert.equal(r.code, 0, JSON.stringify(arg));
        assert.equal(r.stdout, arg, `argument ${JSON.stringify(arg)}`);
      }
      const all = await shell.run(['printf', '<%s>', ...HOSTILE_ARGS]);
      assert.equal(all.stdout, HOSTILE_ARGS.map((a) => `<${a}>`).join(''));
      // As a file name too (what a server name may become).
      const base = "vm '$(touch x);`touch y`;\n$HOME *.xml";
      await shell.writeFile(join(dir, base), 'data');
      assert.equal((await shell.run(['cat', join(dir, base)])).stdout, 'data');
      assert.equal((await shell.readFile(join(dir, base))).toString(), 'data');
      assert.equal((await runChecked(shell, ['ls', '-A', '--quoting-style=literal', dir])), `${base}\n`);
      await shell.run(['rm', '-f', join(dir, base)]);
      assert.equal((await shell.run(['test', '-e', PWNED])).code, 1, `${PWNED} was created`);
    });

    it('feeds stdin', async () => {
      assert.equal((await shell.run(['cat'], { stdin: 'hello\nwörld\n' })).stdout, 'hello\nwörld\n');
      const bin = randomBytes(300_000);
      const r = await shell.run(['sha256sum'], { stdin: bin });
      assert.equal(r.stdout.split(' ')[0], sha256(bin));
      // Without stdin the command sees end-of-file at once rather than hanging.
      assert.equal((await shell.run(['cat'], { timeoutMs: 5000 })).stdout, '');
    });

    it('kills a command past its timeout, on the host too', async () => {
      const marker = `${1000 + Math.floor(Math.random() * 1000)}.${Date.now() % 1000}`;
      const t0 = Date.now();
      await assert.rejects(shell.run(['sleep', marker], { timeoutMs: 800 }),
        (e: unknown) => e instanceof HostCommandTimeoutError && /timed out after 800 ms/.test(e.message));
      const took = Date.now() - t0;
      assert.ok(took >= 750 && took < 3000, `rejected after ${took} ms`);
      // The process is gone from the host (the SSH shell's remote timeout fires 0.5 s after ours).
      let left = '';
      for (let i = 0; i < 30; i++) {
        left = (await shell.run(['pgrep', '-f', `^sleep ${marker}$`])).stdout.trim();
        if (left === '') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(left, '', `sleep ${marker} still runs on the host`);
      // The shell still works afterwards.
      assert.equal((await shell.run(['echo', 'after'])).stdout, 'after\n');
    });

    it('writes, reads, uploads and downloads files (a 20 MB stream)', async () => {
      const small = join(dir, 'small.txt');
      await shell.writeFile(small, 'héllo\n', 0o600);
      assert.equal((await shell.readFile(small)).toString(), 'héllo\n');
      assert.equal((await shell.run(['stat', '-c', '%a', small])).stdout.trim(), '600');
      await shell.writeFile(small, Buffer.from('shorter'), 0o640);
      assert.equal((await shell.readFile(small)).toString(), 'shorter');
      assert.equal((await shell.run(['stat', '-c', '%a', small])).stdout.trim(), '640');

      const size = 20 * 1024 * 1024;
      const chunk = 256 * 1024;
      const seed = randomBytes(chunk);
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      for (let off = 0; off < size; off += chunk) {
        const c = Buffer.from(seed);
        c.writeUInt32BE(off / chunk, 0);
        chunks.push(c);
        hash.update(c);
      }
      const expected = hash.digest('hex');
      const big = join(dir, 'big.bin');
      const t0 = Date.now();
      await shell.upload(big, Readable.from(chunks));
      const up = Date.now() - t0;
      assert.equal((await runChecked(shell, ['sha256sum', big])).split(' ')[0], expected);
      assert.equal((await runChecked(shell, ['stat', '-c', '%s %a', big])).trim(), `${size} 644`);

      const t1 = Date.now();
      const down = createHash('sha256');
      let n = 0;
      for await (const c of (await shell.download(big)) as Readable) { down.update(c as Buffer); n += (c as Buffer).length; }
      const downMs = Date.now() - t1;
      assert.equal(n, size);
      assert.equal(down.digest('hex'), expected);
      assert.equal(sha256(await shell.readFile(big)), expected);
      console.log(`# ${name}: 20 MiB upload ${up} ms, download ${downMs} ms`);

      await assert.rejects(shell.readFile(join(dir, 'missing')), /missing|no such file/i);
      await assert.rejects(shell.download(join(dir, 'missing')), /missing|no such file/i);
      await assert.rejects(shell.writeFile(join(dir, 'no-dir', 'x'), 'x'), /no-dir|no such file/i);
    });

    it('runs commands concurrently', async () => {
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => shell.run(['sh', '-c', `sleep 0.2; echo ${i}`])));
      assert.deepEqual(rs.map((r) => r.stdout), Array.from({ length: 20 }, (_, i) => `${i}\n`));
    });
  });
}

contract('LocalShell', () => new LocalShell(), false);
contract('SshShell', () => new SshShell(labOptions()), labSkip);

describe('known_hosts matching (pure)', () => {
  const key = ed25519Blob();
  const other = ed25519Blob();
  const b64 = key.toString('base64');

  it('matches plain, [host]:port, hashed, wildcard and negated entries', () => {
    assert.ok(hostPatternsMatch('a,b,[127.0.0.1]:2222', '[127.0.0.1]:2222'));
    assert.ok(!hostPatternsMatch('127.0.0.1', '[127.0.0.1]:2222'));
    assert.ok(hostPatternsMatch('*.lab,!bad.lab', 'h1.lab'));
    assert.ok(!hostPatternsMatch('*.lab,!bad.lab', 'bad.lab'));
    assert.ok(hostPatternsMatch('h?.LAB', 'h1.lab'));
    // `ssh-keygen -H` format: |1|base64(salt)|base64(HMAC-SHA1(salt, name))
    const salt = randomBytes(20);
    const mac = createHmac('sha1', salt).update('[h]:2222').digest('base64');
    assert.ok(hostPatternsMatch(`|1|${salt.toString('base64')}|${mac}`, '[h]:2222'));
    assert.ok(!hostPatternsMatch(`|1|${salt.toString('base64')}|${mac}`, '[h]:22'));
  });

  it('accepts the listed key, refuses a different or revoked one, reports an unknown host', () => {
    const entries = parseKnownHosts([
      '# comment', '', `[h]:2222 ssh-ed25519 ${b64} c`, `@cert-authority *.ca ssh-ed25519 ${other.toString('base64')}`,
    ].join('\n'));
    assert.deepEqual(checkHostKey(entries, '[h]:2222', key), { ok: true, line: 3 });
    assert.deepEqual(checkHostKey(entries, '[h]:2222', other), { ok: false, reason: 'mismatch', lines: [3] });
    assert.deepEqual(checkHostKey(entries, 'x.ca', key), { ok: false, reason: 'unknown', lines: [] });
    const revoked = parseKnownHosts(`[h]:2222 ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${b64}\n`);
    assert.equal((checkHostKey(revoked, '[h]:2222', key) as { reason: string }).reason, 'revoked');
    assert.match(fingerprintOf(key), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('SshShell against the lab sshd', { skip: labSkip }, () => {
  let tmp: string;
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'nova-ssh-test-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses a host whose key does not match known_hosts, naming the host and the fingerprint', async () => {
    if (typeof lab === 'string') return;
    const kh = join(tmp, 'wrong_known_hosts');
    writeFileSync(kh, `[${lab.sshHost}]:${lab.sshPort} ssh-ed25519 ${ed25519Blob().toString('base64')}\n`);
    const s = new SshShell(labOptions({ knownHostsFile: kh }));
    await assert.rejects(s.run(['true']), (e: unknown) => {
      assert.ok(e instanceof HostKeyVerificationError, String(e));
      assert.equal(e.fingerprint, lab.hostKeyFingerprint);
      assert.match(e.message, /host key verification failed/);
      assert.ok(e.message.includes(`[${lab.sshHost}]:${lab.sshPort}`), e.message);
      assert.ok(e.message.includes(lab.hostKeyFingerprint), e.message);
      assert.match(e.message, /does not match.*line 1.*refusing/);
      return true;
    });
    // Even with trust-on-first-use, a changed key is refused.
    const tofu = new SshShell(labOptions({ knownHostsFile: kh, strictHostKeyChecking: false }));
    await assert.rejects(tofu.run(['true']), HostKeyVerificationError);
    await s.close();
    await tofu.close();
  });

  it('refuses an unknown host by default; trust-on-first-use only when asked, and it records the key', async () => {
    if (typeof lab === 'string') return;
    const kh = join(tmp, 'empty_known_hosts');
    writeFileSync(kh, '');
    const strict = new SshShell(labOptions({ knownHostsFile: kh }));
    await assert.rejects(strict.run(['true']),
      (e: unknown) => e instanceof HostKeyVerificationError && /is not in/.test(e.message) && e.message.includes(lab.hostKeyFingerprint));
    assert.throws(() => new SshShell(labOptions({ knownHostsFile: undefined })), /known_hosts file is required/);

    const tofu = new SshShell(labOptions({ knownHostsFile: kh, strictHostKeyChecking: false }));
    assert.equal((await tofu.run(['echo', 'hi'])).stdout, 'hi\n');
    await tofu.close();
    assert.match(readFileSync(kh, 'utf8'), new RegExp(`^\\[${lab.sshHost}\\]:${lab.sshPort} ssh-ed25519 `));
    const again = new SshShell(labOptions({ knownHostsFile: kh }));
    assert.equal((await again.run(['echo', 'hi'])).stdout, 'hi\n');
    await again.close();
    await strict.close();
  });

  it('reports a key the host does not accept', async () => {
    const keyFile = join(tmp, 'other_key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs1' }), { mode: 0o600 });
    const s = new SshShell(labOptions({ privateKeyFile: keyFile }));
    await assert.rejects(s.run(['true']), /cannot connect: All configured authentication methods failed/);
    const missing = new SshShell(labOptions({ privateKeyFile: join(tmp, 'nope') }));
    await assert.rejects(missing.run(['true']), /cannot read private key/);
    const garbage = join(tmp, 'garbage_key');
    writeFileSync(garbage, 'not a key');
    const bad = new SshShell(labOptions({ privateKeyFile: garbage }));
    await assert.rejects(bad.run(['true']), new RegExp(`cannot use private key ${garbage}: .*Unsupported key format`));
    await bad.close();
    await s.close();
    await missing.close();
  });

  it('reconnects after the server drops the connection', async () => {
    if (typeof lab === 'string') return;
    const s = new SshShell(labOptions());
    const listener = Number(readFileSync(lab.sshdPidFile, 'utf8').trim());
    /** The sshd process serving this shell's connection: the ancestor whose parent is the listener. */
    const connectionSshd = async (): Promise<number> => {
      const walk = 'p=$$; while :; do pp=$(cut -d" " -f4 /proc/$p/stat); ' +
        'if [ "$pp" = "$1" ]; then echo $p; exit 0; fi; [ "$pp" -gt 1 ] || exit 1; p=$pp; done';
      return Number((await runChecked(s, ['sh', '-c', walk, 'sh', String(listener)])).trim());
    };
    const first = await connectionSshd();
    assert.equal(await connectionSshd(), first, 'one connection is reused');
    process.kill(first, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.connected, false);
    const second = await connectionSshd();
    assert.notEqual(second, first);

    // A drop with a command in flight: that command fails clearly, the next one reconnects.
    const inFlight = s.run(['sleep', '5']);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(second, 'SIGKILL');
    await assert.rejects(inFlight, /connection lost while running sleep/);
    // Dropped while idle and not noticed yet: the next command still succeeds.
    const third = await connectionSshd();
    process.kill(third, 'SIGKILL');
    assert.equal((await s.run(['echo', 'back'])).stdout, 'back\n');
    // SFTP too.
    const f = join('/tmp', `nova-ssh-reconnect-${process.pid}`);
    await s.writeFile(f, 'x');
    process.kill(await connectionSshd(), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await s.readFile(f)).toString(), 'x');
    await s.run(['rm', '-f', f]);
    await s.close();
    await assert.rejects(s.run(['true']), /closed/);
  });

  it('shares one connection per host through the pool', async () => {
    const pool = new SshShellPool(labOptions());
    const a = pool.get({ host: labOptions().host, port: labOptions().port });
    assert.equal(pool.get({ host: labOptions().host, port: labOptions().port }), a);
    assert.equal((await a.run(['echo', 'pooled'])).stdout, 'pooled\n');
    await pool.closeAll();
  });
});

describe('hostile arguments do not reach a shell unquoted', () => {
  it(`${PWNED} does not exist after the tests`, () => assert.ok(!existsSync(PWNED)));
});
