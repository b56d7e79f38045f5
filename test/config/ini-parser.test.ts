import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseIni } from '../../src/config/ini-parser';

const entries = (text: string) =>
  parseIni(text).sections.map((s) => [s.name, s.entries.map((e) => [e.key, e.value, e.line])]);

describe('ini parser', () => {
  it('reads sections and the three assignment forms', () => {
    const doc = parseIni('[DEFAULT]\na = 1\nb=2\nc: 3\n[vnc]\nd =\n');
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(entries('[DEFAULT]\na = 1\nb=2\nc: 3\n[vnc]\nd =\n'), [
      ['DEFAULT', [['a', '1', 2], ['b', '2', 3], ['c', '3', 4]]],
      ['vnc', [['d', '', 6]]],
    ]);
  });

  it('splits at the first = or :, whichever comes first', () => {
    assert.deepEqual(entries('[x]\nurl = http://h:1/a=b\nk: v=w\n'), [
      ['x', [['url', 'http://h:1/a=b', 2], ['k', 'v=w', 3]]],
    ]);
  });

  it('skips # and ; comments and blank lines but keeps inline # in values', () => {
    const text = '# top\n; also\n\n[DEFAULT]\n# c\nhost = h1 # not a comment\n\n;x = 1\n';
    assert.deepEqual(entries(text), [['DEFAULT', [['host', 'h1 # not a comment', 6]]]]);
  });

  it('removes one pair of matching quotes around a whole value', () => {
    assert.deepEqual(entries(`[x]\na = "q v"\nb = 'w'\nc = "mixed'\nd = ""\n`), [
      ['x', [['a', 'q v', 2], ['b', 'w', 3], ['c', `"mixed'`, 4], ['d', '', 5]]],
    ]);
  });

  it('joins continuation lines with newlines and ends them at a blank line', () => {
    const doc = parseIni('[x]\na = one,\n  two,\n\ttwo-b\nb = 2\n');
    assert.deepEqual(doc.errors, []);
    assert.equal(doc.sections[0]?.entries[0]?.value, 'one,\ntwo,\ntwo-b');
    assert.equal(doc.sections[0]?.entries[1]?.value, '2');
    const after = parseIni('[x]\na = 1\n\n  orphan\n', 'n.conf');
    assert.deepEqual(after.errors, ["n.conf:4: unexpected continuation line 'orphan' (only a value can continue on an indented line)"]);
  });

  it('treats an indented comment as a comment, not as part of the value', () => {
    assert.equal(parseIni('[x]\na = 1\n    # note\n').sections[0]?.entries[0]?.value, '1');
  });

  it('keeps repeated keys and repeated sections in order', () => {
    assert.deepEqual(entries('[f]\nm = 1\nm = 2\n[g]\n[f]\nm = 3\n'), [
      ['f', [['m', '1', 2], ['m', '2', 3]]],
      ['g', []],
      ['f', [['m', '3', 6]]],
    ]);
  });

  it('reports malformed lines with file and line number, and keeps going', () => {
    const doc = parseIni('[DEFAULT]\nhost = a\n\ngarbage\n[vnc\n[]\n= v\nx = 1\n', 'nova.conf');
    assert.deepEqual(doc.errors, [
      "nova.conf:4: expected 'key = value', got 'garbage'",
      "nova.conf:5: section header '[vnc' has no closing ']'",
      'nova.conf:6: empty section name',
      "nova.conf:7: expected 'key = value', got '= v' (empty key)",
    ]);
    assert.deepEqual(doc.sections[0]?.entries.map((e) => e.key), ['host', 'x']);
  });

  it('rejects an option before any section', () => {
    const doc = parseIni('# hi\nhost = a\n[DEFAULT]\n', 'a.conf');
    assert.deepEqual(doc.errors, ["a.conf:2: option 'host' appears before any [section] header (did you forget [DEFAULT]?)"]);
  });

  it('does not echo a malformed line that starts with a secret key or holds URL credentials', () => {
    const secret = (k: string) => k === 'password';
    const doc = parseIni('[k]\npassword Hunter2Secret\n\n  rabbit://u:Hunter2Secret@h\n', 'n.conf', secret);
    assert.equal(doc.errors.length, 2);
    assert.ok(!doc.errors.join('\n').includes('Hunter2Secret'), doc.errors.join('\n'));
    assert.deepEqual(doc.errors, [
      "n.conf:2: expected 'key = value', got 'password ****'",
      "n.conf:4: unexpected continuation line 'rabbit://****' (only a value can continue on an indented line)",
    ]);
  });

  it('accepts CRLF line ends and a byte-order mark', () => {
    assert.deepEqual(entries('\uFEFF[DEFAULT]\r\nhost = h\r\n'), [['DEFAULT', [['host', 'h', 2]]]]);
  });
});
