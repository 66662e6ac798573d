// The prediction's side of Ingress admission: the case table every side runs
// (test-support/admission-cases.ts), the PCRE2 checker against what nginx's PCRE2 said for
// each pattern, and nginx's script syntax.
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../model/decoder.js';
import { admissionProblems } from './admission.js';
import { scriptParts } from './nginx-variables.js';
import { checkPcre } from './pcre.js';
import { ADMISSION_CASES } from './test-support/admission-cases.js';
import { shopCluster, tableOf } from './test-support/world.js';

describe('admission: the prediction flags what nginx refuses (the shared case table)', () => {
  for (const c of ADMISSION_CASES) {
    it(c.name, () => {
      const cluster = shopCluster(...c.ingresses);
      const problems = admissionProblems(tableOf(cluster), cluster.ingresses);
      const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ingress} ${formatPath(p.field)}`);
      const want = c.flagged ?? c.refused;
      expect(errors).toEqual(want ? [`shop/${want.ingress} ${want.field}`] : []);
      if (c.refused && !c.flagged) {
        // nginx's own words, as the daemon's refusal carries them.
        expect(problems.find((p) => p.severity === 'error')!.message).toMatch(c.refused.nginx);
      }
      if (c.warning) expect(problems.map((p) => p.code)).toContain(c.warning);
    });
  }

  it('the path of an Ingress without use-regex is a regex when another Ingress of its host sets it, and the hint says who', () => {
    const c = ADMISSION_CASES.find((x) => x.flagged)!;
    const cluster = shopCluster(...c.ingresses);
    const [p] = admissionProblems(tableOf(cluster), cluster.ingresses).filter((x) => x.severity === 'error');
    expect(p!.hint).toContain('Ingress shop/regexer sets use-regex on host both.shop.com');
  });
});

// Each expectation is what `nginx -t` (nginx 1.22, PCRE2 10.42) printed for `location ~* "^<pattern>"`.
const PCRE_CASES: readonly [string, string | null][] = [
  ['/a\\1', 'reference to non-existent subpattern'],
  ['/(a)\\1', null],
  ['/\\1(a)', null], // a forward reference is valid
  ['/a(', 'missing closing parenthesis'],
  ['/a)', 'unmatched closing parenthesis'],
  ['/a[', 'missing terminating ] for character class'],
  ['/a[]', 'missing terminating ] for character class'],
  ['/a[]]', null],
  ['/[z-a]', 'range out of order in character class'],
  ['/a**', 'quantifier does not follow a repeatable item'],
  ['/a*?', null],
  ['/a*+', null],
  ['/a{2}{3}', 'quantifier does not follow a repeatable item'],
  ['/a{2,1}', 'numbers out of order in {} quantifier'],
  ['/a{,3}', null], // a literal in 10.42
  ['/a{2', null],
  ['/a{70000}', 'number too big in {} quantifier'],
  ['/\\i', 'unrecognized character follows \\'],
  ['/\\L', 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u'],
  ['/\\u0041', 'PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u'],
  ['/\\Q*+\\E', null],
  ['/(?<n>a)(?<n>b)', 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)'],
  ['/(?J)(?<n>a)(?<n>b)', null],
  ['/(?P<n>a)(?P=n)', null],
  ['/\\k<m>', 'reference to non-existent subpattern'],
  ['/(?<=a|bc)', null], // top-level branches may differ in length
  ['/(?<=a(b|cd))', 'lookbehind assertion is not fixed length'],
  ['/(?<=a{2})', null],
  ['/(?<=a{1,2})', 'lookbehind assertion is not fixed length'],
  ['/(?<=\\R)', 'lookbehind assertion is not fixed length'],
  ['/(?<=\\1)(a)', null],
  ['/(?<=(a+)\\1)', 'lookbehind assertion is not fixed length'],
  ['/(?<=\\K)', '\\K is not allowed in lookarounds (but see PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK)'],
  ['/(?X)', 'unrecognized character after (? or (?-'],
  ['/(?i)a', null],
  ['/(?#c)a', null],
  ['/[:alpha:]', 'POSIX named classes are supported only within a class'],
  ['/[[:foo:]]', 'unknown POSIX class name'],
  ['/[\\B]', 'escape sequence is invalid in character class'],
  ['/[a-\\d]', 'invalid range in character class'],
  ['/[\\w-.]', 'invalid range in character class'],
  ['/[a-]', null],
  ['/\\g{2}(a)', 'reference to non-existent subpattern'],
  ['/(a)\\g{-1}', null],
  ['/\\g{-1}(a)', 'reference to non-existent subpattern'],
  ['/(?1)', 'reference to non-existent subpattern'],
  ['/(a)(?1)', null],
  ['/^*', 'quantifier does not follow a repeatable item'],
  ['/\\b+', 'quantifier does not follow a repeatable item'],
  ['/(?=a)*', null],
  ['/(?<1a>x)', 'subpattern name must start with a non-digit'],
  ['/\\x{zz}', 'non-hex character in \\x{} (closing brace missing?)'],
  ['/\\x{100}', 'character code point value in \\x{} or \\o{} is too large'],
  ['/\\c', '\\c at end of pattern'],
  ['/\\', '\\ at end of pattern'],
  ['/\\8', 'reference to non-existent subpattern'],
  ['/a\\12', null], // octal: fewer than 12 groups precede
  ['/(?|(a)|(b))\\1', null],
  ['/(?|(a)|(b))\\2', 'reference to non-existent subpattern'],
  ['/(?(1)a|b|c)(c)', 'conditional subpattern contains more than two branches'],
  ['/(?x) a b # c', null],
  ['/\\p{L}', null],
  ['/\\p{Zz}', 'unknown property after \\P or \\p'],
  ['/api/(v[0-9]+)/(.*)', null],
  ['/[\\w.-]+\\.json$', null],
];

describe('checkPcre: PCRE2 10.42 as nginx compiles location regexes', () => {
  for (const [pattern, error] of PCRE_CASES) {
    it(`^${pattern} -> ${error ?? 'valid'}`, () => {
      const r = checkPcre(`^${pattern}`);
      expect(r.kind === 'invalid' ? r.error : null).toBe(error);
    });
  }

  it('counts capture groups (named ones too) and names them', () => {
    expect(checkPcre('^/api(/|$)(?<rest>.*)')).toMatchObject({ kind: 'valid', captures: 2, names: ['rest'] });
  });

  it('says which construct JavaScript reads differently', () => {
    expect(checkPcre('^/a++')).toMatchObject({ jsDiffers: 'a possessive quantifier' });
    expect(checkPcre('^/\\Qa.b\\E')).toMatchObject({ jsDiffers: '\\Q...\\E' });
    expect(checkPcre('^/api/(.*)')).toMatchObject({ jsDiffers: null });
  });
});

describe("scriptParts: nginx's $ syntax in a script value", () => {
  const cases: [string, string][] = [
    ['/$1/x', 'capture 1'],
    ['/$10', 'capture 1'], // one digit: "$10" is $1 then "0"
    ['/$0', 'variable 0'],
    ['/${host}x', 'variable host'],
    ['/$http_x-y', 'variable http_x'],
    ['/a$', 'invalid invalid variable name'],
    ['/$$', 'invalid invalid variable name;invalid invalid variable name'],
    ['/${}', 'invalid invalid variable name'],
    ['/${x-}', 'invalid the closing bracket in "x" variable is missing'],
  ];
  for (const [value, want] of cases) {
    it(`${value} -> ${want}`, () => {
      expect(scriptParts(value).map((p) => (p.kind === 'capture' ? `capture ${p.n}` : p.kind === 'variable' ? `variable ${p.name}` : `invalid ${p.error}`)).join(';')).toBe(want);
    });
  }
});
