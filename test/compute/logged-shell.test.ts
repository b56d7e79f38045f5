import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/config-loader';
import { libvirtShell } from '../../src/compute/driver-factory';
import { LocalShell } from '../../src/compute/drivers/libvirt/local-shell';
import { LoggedShell } from '../../src/compute/drivers/libvirt/logged-shell';

describe('libvirt: host commands logged with [DEFAULT] debug = true', () => {
  it('the factory wraps the host shell only when debug is on', async () => {
    const conf = (debug: boolean) => parseConfigText(`[DEFAULT]\ndebug = ${debug}\ncompute_driver = libvirt.LibvirtDriver\n[libvirt]\nssh_host = local\n`).conf;
    assert.ok(libvirtShell(conf(false)) instanceof LocalShell);
    const logged = libvirtShell(conf(true));
    assert.ok(logged instanceof LoggedShell);
    assert.equal(logged.description, new LocalShell().description);
    await logged.close();
  });

  it('each command is logged quoted, with its exit status and duration; stdin and file contents never are', async () => {
    const lines: string[] = [];
    const shell = new LoggedShell(new LocalShell(), (l) => lines.push(l));
    const dir = mkdtempSync(join(tmpdir(), 'nova-logged-shell-'));
    try {
      const r = await shell.run(['sh', '-c', 'exit 3']);
      assert.equal(r.code, 3);
      assert.match(lines[0]!, /: 'sh' '-c' 'exit 3' → exit 3 in \d+ ms$/);
      const echoed = await shell.run(['cat'], { stdin: 'the-secret-password' });
      assert.equal(echoed.stdout, 'the-secret-password');
      assert.match(lines[1]!, /'cat' <\(19 bytes on stdin\) → exit 0 in \d+ ms$/);
      await shell.writeFile(join(dir, 'f'), 'user-data-secret');
      assert.equal((await shell.readFile(join(dir, 'f'))).toString(), 'user-data-secret');
      assert.match(lines[2]!, /write .*\/f \(16 bytes\) → ok in \d+ ms$/);
      assert.match(lines[3]!, /read .*\/f → 16 bytes in \d+ ms$/);
      await assert.rejects(shell.readFile(join(dir, 'missing')));
      assert.match(lines[4]!, /read .*\/missing → failed in \d+ ms: /);
      assert.ok(lines.every((l) => !l.includes('secret')), lines.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await shell.close();
    }
  });
});
