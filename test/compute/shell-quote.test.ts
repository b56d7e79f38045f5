import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOSTILE_ARGS, PWNED } from '../utils/hostile-args';
import { ShellQuoteError, shellJoin, shellQuote } from '../../src/compute/drivers/libvirt/shell-quote';

const SHELLS = ['/bin/sh', '/bin/bash', '/bin/dash'].filter((s) => existsSync(s));

describe('shellQuote', () => {
  it('single-quotes every argument and escapes single quotes', () => {
    assert.equal(shellQuote('abc'), "'abc'");
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote('$(x) `y` ;z'), "'$(x) `y` ;z'");
    assert.equal(shellQuote('a\nb'), "'a\nb'");
    assert.equal(shellJoin(['printf', '%s', 'a b', '']), "'printf' '%s' 'a b' ''");
  });

  it('refuses what a command line cannot carry', () => {
    assert.throws(() => shellQuote('a\0b'), ShellQuoteError);
    assert.throws(() => shellJoin([]), ShellQuoteError);
    assert.throws(() => shellQuote(42 as unknown as string), ShellQuoteError);
  });

  for (const sh of SHELLS) {
    it(`round-trips hostile arguments exactly through ${sh} and runs none of them`, () => {
      rmSync(PWNED, { force: true });
      const dir = mkdtempSync(join(tmpdir(), 'nova-quote-'));
      try {
        for (const arg of HOSTILE_ARGS) {
          const out = execFileSync(sh, ['-c', shellJoin(['printf', '%s', arg])], { cwd: dir });
          assert.equal(out.toString('utf8'), arg, `argument ${JSON.stringify(arg)}`);
        }
        // Argument boundaries survive, empty arguments included.
        const all = execFileSync(sh, ['-c', shellJoin(['printf', '<%s>', ...HOSTILE_ARGS])], { cwd: dir }).toString('utf8');
        assert.equal(all, HOSTILE_ARGS.map((a) => `<${a}>`).join(''));
        assert.deepEqual(readdirSync(dir), [], 'no file was created');
        assert.ok(!existsSync(PWNED), `${PWNED} must not exist`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
