import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { AnswersError } from '../../lib/errors.js';
import { BRANCH_ALLOWED, checkBranch } from '../../lib/names.js';
import type { QuestionContext } from '../../lib/questions.js';

/**
 * checkBranch against the reference, `git check-ref-format --branch <name>` (git's own rules: refs.c
 * check_refname_component and check_or_sanitize_refname on "refs/heads/<name>", object-name.c
 * strbuf_check_branch_ref). Whatever we accept git accepts; whatever git refuses we refuse with git's
 * reason; the only names git accepts and we refuse are the intended differences below.
 */

/** Accepted by git, refused here: the name is written unquoted into shell commands in the generated READMEs. */
const SHELL_UNSAFE = [...'!"$&\'()`;<>|{}'];
/** Accepted by git (any byte >= 0x80), refused here: invisible, space-like, control, private-use or unassigned. */
const UNICODE_UNSAFE = /[\p{C}\p{Z}]/u;
/** Accepted by git as refs/heads/@, refused here: "@" alone is HEAD in git's revision syntax. */
const RESERVED = ['@'];
const LIMIT = 100;

function intendedDifference(name: string): boolean {
  return (
    RESERVED.includes(name) || [...name].length > LIMIT || [...name].some((ch) => SHELL_UNSAFE.includes(ch) || UNICODE_UNSAFE.test(ch))
  );
}

/** The messages for git's own rules: each names the rule (and never says "git allows it"). */
const GIT_RULE_MESSAGE =
  /^".*" (starts with "-", which git refuses|is reserved: git refuses a branch named HEAD|contains (a space|a control character \(U\+[0-9A-F]{4}\)|"[~^:?*[]"|"\\\\"), which git does not allow|starts with "\/"$|ends with "\/"$|contains "\/\/" \(an empty component\)$|contains "\.\."$|contains "@\{"|has a component starting with "\." \(".*"\)$|has a component ending in "\.lock" \(".*"\)$|ends with "\."$)/su;

function corpus(): string[] {
  const names = new Set<string>([
    // Hand-picked edge cases.
    'main', 'master', 'trunk', 'feature/x', 'feature/x/y', 'release-1.2', 'release/1.2.3', 'v1', 'v1.0', '1', '_', 'a_b', 'a-b', 'a+b',
    'a=b', 'a%b', 'a,b', 'a#b', 'feature/#123', 'a]b', 'a@b', 'a@', '@a', '@@', 'a/@', '@/a', 'a/@/b', '@-1', 'ünïcode', 'feature/ünïcode',
    'ветка', '分支', 'emoji-🚀', 'naïve.café', 'a\u0301', // combining accent: a letter
    'HEAD', 'head', 'a/HEAD', 'HEAD/a', 'HEADS', '@', '-', '-x', '--x', 'a/-x', 'a-', 'x-/y',
    'a.lock/b', 'a.lock', 'a/b.lock', 'lock', '.lock', 'a.locked', 'a.lock.x', 'a.LOCK', 'alock', 'a/.lock/b',
    'a/.b', '.a', '.', '..', 'a..b', 'a/..', '../a', 'a/./b', 'a./b', 'a.', 'a/b.', 'a.b', '...',
    'a//b', 'a/', '/a', '/', '//', 'a///b',
    '@{x', 'x@{y', '@{-1}', 'a@{u}', 'a@{', '@{', 'a{b', 'a}b', 'a{b,c}', '{a}', 'a@}',
    'a b', ' a', 'a ', 'a\tb', 'a\nb', 'a\rb', 'a\u0000b', 'a\u001fb', 'a\u007fb',
    'a~b', 'a^b', 'a:b', 'a?b', 'a*b', 'a[b', 'a\\b', '~a', 'a~1', 'a^{}', 'x:y/z',
    '$(id)', '`id`', 'a;b', 'a&b', 'a|b', 'a<b', 'a>b', "a'b", 'a"b', 'a!b', 'a(b', 'a)b', 'a$b', '${HOME}',
    'a\u00a0b', 'a\u2028b', 'a\u202eb', 'a\u200bb', 'a\ufeffb', 'a\u0085b', 'a\u3000b', 'a\ue000b', 'a\ufffeb', 'a\ud800b', 'a\udc00',
    'x'.repeat(LIMIT), 'x'.repeat(LIMIT + 1), 'é'.repeat(LIMIT), `a/${'b'.repeat(LIMIT - 2)}`,
  ]);
  // Every ASCII character but letters and digits (the fragments below have those) inside a name, at its start and at its end.
  for (let code = 1; code < 128; code++) {
    const ch = String.fromCharCode(code);
    if (!/[A-Za-z0-9]/.test(ch)) names.add(`x${ch}y`).add(`${ch}x`).add(`x${ch}`);
  }
  // Combinations of the fragments the rules are about: every pair, and a deterministic sample of the triples
  // (each git process takes 5-10 ms to start: the corpus stays at a few hundred names).
  const fragments = ['a', 'b1', '.', '/', '-', '@', '{', '.lock', 'HEAD', 'ü', '_', 'lock'];
  let i = 0;
  for (const f1 of fragments) for (const f2 of fragments) {
    names.add(f1 + f2);
    for (const f3 of fragments) if (i++ % 48 === 0) names.add(f1 + f2 + f3);
  }
  return [...names];
}

/**
 * git's verdict in a directory outside any repository and inside a fresh one. Inside, git first expands
 * "@{-N}", "<branch>@{upstream}" and "@{push}" (object-name.c repo_interpret_branch_name, INTERPRET_BRANCH_LOCAL):
 * only names with an "@" can differ, so only those are asked twice.
 */
interface Verdict {
  outside: boolean;
  inside: boolean;
}

const run = promisify(execFile);
let root: string;
let env: NodeJS.ProcessEnv;
const verdicts = new Map<string, Verdict>();
const names = corpus();

async function gitAccepts(name: string, cwd: string): Promise<boolean> {
  try {
    await run('git', ['check-ref-format', '--branch', name], { cwd, env });
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 128) return false;
    throw error;
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'branch-name-'));
  const outside = join(root, 'outside');
  const inside = join(root, 'inside');
  mkdirSync(outside);
  env = { PATH: process.env.PATH, HOME: root, GIT_CONFIG_NOSYSTEM: '1', GIT_CEILING_DIRECTORIES: root, LC_ALL: 'C' };
  execFileSync('git', ['init', '--quiet', inside], { env });
  // One git process per name (and context), two at a time: about 4 s for the corpus here.
  const jobs = names.filter((n) => !n.includes('\0'));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const name = jobs[next++];
      const o = await gitAccepts(name, outside);
      verdicts.set(name, { outside: o, inside: name.includes('@') ? await gitAccepts(name, inside) : o });
    }
  };
  await Promise.all(Array.from({ length: 2 }, worker));
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('checkBranch against git check-ref-format --branch', () => {
  it('uses a corpus with enough names of every kind', () => {
    expect(names.length).toBeGreaterThan(400);
    const results = [...verdicts.values()];
    expect(results.filter((v) => v.outside && v.inside).length).toBeGreaterThan(150);
    expect(results.filter((v) => !v.outside).length).toBeGreaterThan(150);
    expect(names.filter((n) => intendedDifference(n) && checkBranch(n) === undefined)).toEqual([]);
  });

  it('a NUL cannot reach git (argv is a C string); it is refused here', () => {
    expect(checkBranch('a\0b')).toBe('"a\\u0000b" contains a control character (U+0000), which git does not allow in a branch name');
  });

  it('accepts only names git accepts, in and outside a repository', () => {
    const acceptedHereOnly = names.filter((n) => checkBranch(n) === undefined && !(verdicts.get(n)?.outside && verdicts.get(n)?.inside));
    expect(acceptedHereOnly).toEqual([]);
  });

  it('refuses a name git accepts only for the intended differences, saying so', () => {
    const refused = names.filter((n) => verdicts.get(n)?.outside && verdicts.get(n)?.inside && checkBranch(n) !== undefined);
    expect(refused.filter((n) => !intendedDifference(n))).toEqual([]);
    for (const n of refused) {
      const message = checkBranch(n)!;
      if ([...n].length > LIMIT) expect(message).toMatch(/ characters long; the limit is 100$/);
      else expect(message, n).toContain('git allows it, but');
    }
    // Each intended difference is exercised: git does accept these.
    for (const n of [...SHELL_UNSAFE.map((ch) => `x${ch}y`), 'a\u00a0b', 'a\u202eb', '@', 'x'.repeat(LIMIT + 1)]) {
      expect(verdicts.get(n), n).toEqual({ outside: true, inside: true });
      expect(checkBranch(n), n).toBeDefined();
    }
  });

  it("refuses every name git refuses with git's reason", () => {
    const refusedByGit = names.filter((n) => verdicts.has(n) && !(verdicts.get(n)!.outside && verdicts.get(n)!.inside));
    for (const n of refusedByGit) {
      const message = checkBranch(n);
      expect(message, n).toBeDefined();
      expect(message, n).toMatch(GIT_RULE_MESSAGE);
      expect(message, n).not.toContain('git allows it');
    }
  });

  it('accepts what git accepts: non-ASCII letters, "@" inside a name, "#", "]", a component starting with "-"', () => {
    for (const n of ['ünïcode', 'ветка', '分支', 'emoji-🚀', 'a@b', '@a', 'feature/#123', 'a]b', 'a/-x', 'HEAD/a', 'a/HEAD', 'lock', 'a.locked', 'x'.repeat(LIMIT), 'é'.repeat(LIMIT)]) {
      expect(verdicts.get(n), n).toEqual({ outside: true, inside: true });
      expect(checkBranch(n), n).toBeUndefined();
    }
  });
});

describe('checkBranch messages', () => {
  it.each([
    ['', 'is empty'],
    ['HEAD', '"HEAD" is reserved: git refuses a branch named HEAD'],
    ['-x', '"-x" starts with "-", which git refuses at the start of a branch name (it would read as an option)'],
    ['a.lock/b', '"a.lock/b" has a component ending in ".lock" ("a.lock")'],
    ['a/b.lock', '"a/b.lock" has a component ending in ".lock" ("b.lock")'],
    ['a/.b', '"a/.b" has a component starting with "." (".b")'],
    ['.a', '".a" has a component starting with "." (".a")'],
    ['a..b', '"a..b" contains ".."'],
    ['a//b', '"a//b" contains "//" (an empty component)'],
    ['a/', '"a/" ends with "/"'],
    ['/a', '"/a" starts with "/"'],
    ['a.', '"a." ends with "."'],
    ['@{x', '"@{x" contains "@{" (git\'s reflog syntax)'],
    ['x@{y', '"x@{y" contains "@{" (git\'s reflog syntax)'],
    ['a b', '"a b" contains a space, which git does not allow in a branch name'],
    ['a\tb', '"a\\tb" contains a control character (U+0009), which git does not allow in a branch name'],
    ['a\u007fb', '"a\\u007fb" contains a control character (U+007F), which git does not allow in a branch name'],
    ['a~1', '"a~1" contains "~", which git does not allow in a branch name'],
    ['a^b', '"a^b" contains "^", which git does not allow in a branch name'],
    ['a:b', '"a:b" contains ":", which git does not allow in a branch name'],
    ['a?b', '"a?b" contains "?", which git does not allow in a branch name'],
    ['a*b', '"a*b" contains "*", which git does not allow in a branch name'],
    ['a[b', '"a[b" contains "[", which git does not allow in a branch name'],
    ['a\\b', '"a\\\\b" contains "\\\\", which git does not allow in a branch name'],
    // git's reason first when a name breaks one of git's rules and one of ours.
    ['$a..b', '"$a..b" contains ".."'],
    ['@', '"@" alone means HEAD in git commands: git allows it, but this tool does not'],
    ['a$b', '"a$b" contains "$": git allows it, but the name is written unquoted into shell commands in the generated READMEs'],
    ['a`b', '"a`b" contains "`": git allows it, but the name is written unquoted into shell commands in the generated READMEs'],
    ["it's", '"it\'s" contains "\'": git allows it, but the name is written unquoted into shell commands in the generated READMEs'],
    ['a{b,c}', '"a{b,c}" contains "{": git allows it, but the name is written unquoted into shell commands in the generated READMEs'],
    ['a\u202eb', '"a\\u202eb" contains U+202E (an invisible formatting character): git allows it, but it is invisible or misleading in the generated READMEs'],
    ['a\u00a0b', '"a\u00a0b" contains U+00A0 (a space-like character): git allows it, but it is invisible or misleading in the generated READMEs'],
    ['a\u0085b', '"a\\u0085b" contains U+0085 (a control character): git allows it, but it is invisible or misleading in the generated READMEs'],
    ['a\ud800b', '"a\\ud800b" contains U+D800 (a lone surrogate, not valid Unicode text): git allows it, but it is invisible or misleading in the generated READMEs'],
    ['x'.repeat(101), `"${'x'.repeat(101)}" is 101 characters long; the limit is 100`],
  ])('%j: %s', (name, message) => {
    expect(checkBranch(name)).toBe(message);
  });

  it('counts characters, not UTF-16 units, for the limit', () => {
    expect(checkBranch('🚀'.repeat(100))).toBeUndefined();
    expect(checkBranch('🚀'.repeat(101))).toMatch(/ is 101 characters long; the limit is 100$/);
  });

  it('says what it allows, the refused shell characters included', () => {
    for (const ch of SHELL_UNSAFE) expect(BRANCH_ALLOWED).toContain(ch === '`' ? 'backquote' : ` ${ch} `);
    expect(BRANCH_ALLOWED).toContain('git check-ref-format --branch');
    expect(BRANCH_ALLOWED).toContain('at most 100 characters');
  });

  it('refuses a bad --branch with its reason before anything is written (answers)', () => {
    const ctx: QuestionContext = { catalog: loadCatalog(), directoryName: 'gemeente-x' };
    expect(resolveAnswers(withDefaults({ branch: 'feature/ünïcode' }, ctx), ctx).branch).toBe('feature/ünïcode');
    try {
      resolveAnswers(withDefaults({ branch: 'a.lock/b' }, ctx), ctx);
      expect.fail('should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(AnswersError);
      expect((error as AnswersError).problems).toEqual([
        { answer: 'branch', problem: '"a.lock/b" has a component ending in ".lock" ("a.lock")', allowed: BRANCH_ALLOWED },
      ]);
    }
  });
});
