// PCRE -> JS RegExp (src/routing/pcre.ts): the constructs uWSGI's regexps use that JS spells
// differently, group numbering kept through atomic/possessive wrappers, and what is refused.
// Cases marked "2.0.21" are in test/fixtures/routing/configs/regexp-pcre-syntax.ini.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUwsgiError } from '../../../src/errors.js';
import { compilePcre } from '../../../src/routing/pcre.js';

const match = (re: string, s: string) => {
  const m = compilePcre(re).exec(s);
  return m === null ? null : [...m];
};

describe('compilePcre', () => {
  it('plain patterns keep their captures, $0 is the whole match', () => {
    assert.deepEqual(match('^/user/(\\d+)/(\\w+)', '/user/42/profile?'), [
      '/user/42/profile',
      '42',
      'profile',
    ]);
    assert.equal(match('^/x$', '/y'), null);
    assert.deepEqual(match('^/(a)?b', '/b'), ['/b', undefined]);
  });

  it('$ also matches before a final newline, \\z only at the end, \\Z like $ (PCRE defaults)', () => {
    assert.ok(match('^/a$', '/a\n'));
    assert.equal(match('^/a\\z', '/a\n'), null);
    assert.ok(match('^/a\\Z', '/a\n'));
    assert.ok(match('\\A/anchors\\z', '/anchors'));
    assert.equal(match('\\A/b', 'x/b'), null);
  });

  it('. stops only at \\n (JS also stops at \\r and U+2028); (?s) makes it match everything', () => {
    assert.ok(match('^a.b$', 'a\rb'));
    assert.ok(match('^a.b$', 'a\u2028b'));
    assert.equal(match('^a.b$', 'a\nb'), null);
    assert.ok(match('(?s)^a.b$', 'a\nb'));
  });

  it('inline flags: (?i) for the whole pattern, scoped (?i:..), (?-i) and (?i) mid-pattern (2.0.21)', () => {
    assert.ok(match('(?i)^/casetest', '/CaseTest'));
    assert.ok(match('^/(?i:CASE)test', '/casetest'));
    assert.equal(match('^/(?i:CASE)test', '/caseTEST'), null);
    assert.ok(match('^/a(?i)b', '/aB'));
    assert.equal(match('^/a(?i)b', '/AB'), null);
    assert.ok(match('(?i)a(?-i)b', 'Ab'));
    assert.equal(match('(?i)a(?-i)b', 'AB'), null);
    assert.ok(match('(?i:[a-c]x)', 'BX'));
    assert.ok(match('(?m)^b$', 'a\nb\nc'));
    assert.equal(match('^b$', 'a\nb\nc'), null);
    assert.ok(match('(?x) ^ a   b # comment\n $', 'ab'));
  });

  it('POSIX classes, \\h, \\v, \\R, PCRE \\s (no \\xa0), \\e and \\x{..} (2.0.21)', () => {
    assert.deepEqual(match('^/[[:alpha:]]+([[:digit:]]+)$', '/abc123'), ['/abc123', '123']);
    assert.ok(match('^/sp\\hace', '/sp ace'));
    assert.ok(match('^a\\vb$', 'a\rb'));
    assert.ok(match('^a\\Rb$', 'a\r\nb'));
    assert.equal(match('^a\\sb$', 'a\u00a0b'), null);
    assert.ok(match('^a\\sb$', 'a\tb'));
    assert.ok(match('^\\e\\x{41}\\x42\\101$', '\x1bABA'));
  });

  it('\\Q..\\E quotes, and a quantifier after it binds to its last character', () => {
    assert.ok(match('^/lit/\\Qa.b*c\\E$', '/lit/a.b*c'));
    assert.equal(match('^/lit/\\Qa.b*c\\E$', '/lit/aXbbc'), null);
    assert.ok(match('^\\Qab\\E+$', 'abbb'));
  });

  it('named groups in every PCRE spelling count as numbered groups; back-references', () => {
    assert.deepEqual(match('^/named/(?P<num>\\d+)$', '/named/42'), ['/named/42', '42']);
    assert.deepEqual(match("^(?'w'\\w)(?P=w)\\k<w>\\g{1}\\1$", 'aaaaa'), ['aaaaa', 'a']);
    assert.equal(match('^(a)\\1$', 'ab'), null);
    assert.ok(match('^(a)(b)\\g{-1}$', 'abb'));
  });

  it('atomic groups and possessive quantifiers do not backtrack and do not shift $N', () => {
    assert.ok(match('^/a++$', '/aaa'));
    assert.equal(match('^a++a$', 'aaa'), null);
    assert.ok(match('^a+a$', 'aaa'));
    assert.equal(match('^(?>a+)a$', 'aaa'), null);
    assert.deepEqual(match('^(x)(?>(a+))(b)$', 'xaab'), ['xaab', 'x', 'aa', 'b']);
    assert.deepEqual(match('^(x)(?:ab)++(y)$', 'xababy'), ['xababy', 'x', 'y']);
    assert.ok(match('^a{2}+$', 'aa'));
  });

  it('a leading ] in a class is literal; lookarounds and comments pass', () => {
    assert.ok(match('^[]a]+$', ']a]'));
    assert.ok(match('^[^]a]$', 'b'));
    assert.ok(match('^a(?=b)', 'ab'));
    assert.ok(match('(?<=a)b', 'ab'));
    assert.ok(match('^a(?#note)b$', 'ab'));
  });

  it('an anchored literal prefix is checked before exec() (a hot-path shortcut that never changes a result)', () => {
    const re = compilePcre('^/static/(.*)');
    let calls = 0;
    const exec = re.regexp.exec.bind(re.regexp);
    re.regexp.exec = (s: string) => {
      calls++;
      return exec(s);
    };
    assert.equal(re.exec('/other/x'), null);
    assert.equal(calls, 0);
    assert.deepEqual([...(re.exec('/static/x') ?? [])], ['/static/x', 'x']);
    assert.equal(calls, 1);
    // no shortcut where the prefix is not required: alternation, case folding, quantifiers, (?m)
    for (const [pattern, subject] of [
      ['^/a|/b', '/b'],
      ['(?i)^/ABC', '/abc'],
      ['^/ab?c', '/ac'],
      ['^/a*b', '/b'],
      ['(?m)^/x', 'y\n/x'],
      ['^\\Q/a.b\\E', '/a.b'],
    ] as const) {
      assert.ok(compilePcre(pattern).exec(subject), pattern);
    }
  });

  it('refuses what JS cannot do, with ERR_ROUTE_BAD_REGEXP', () => {
    for (const bad of [
      '(?R)',
      '(a)(?1)',
      '(?(1)a|b)',
      'a\\Kb',
      '\\Ga',
      '\\p{L}',
      '(*FAIL)',
      '(?|a)',
      '(?U)a',
      '^/(x',
      '[a',
      'a**',
      '[[:^alpha:]]',
      '\\x{100}',
    ]) {
      assert.throws(
        () => compilePcre(bad),
        (e) => isUwsgiError(e) && e.code === 'ERR_ROUTE_BAD_REGEXP',
        bad,
      );
    }
  });
});
