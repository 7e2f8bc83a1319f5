/**
 * The pattern matchers of the tools whose behaviour validate reproduces, each as its upstream matches and
 * each in time bounded by the pattern and text lengths (no backtracking regular expression: patterns come
 * from merge requests): Argo CD's util/glob (source include/exclude, AppProject fields), Go's path.Match
 * (the ApplicationSet git directory generator) and git pathspecs (its git files generator).
 */

/**
 * Argo CD's include/exclude match (util/glob.Match: gobwas/glob compiled without separators, v3.2.12), or
 * with `separator` an AppProject's sourceRepos match (globMatch with '/': `*` and `?` stop at it, `**` does not):
 * against the path relative to the source path, `*` crossing `/` too, `?` one character, `[…]`/`[!…]` a
 * class, `{a,b}` alternatives; a pattern that does not compile matches nothing, as upstream. Matched in
 * time linear in the path for each alternative (no backtracking regular expression).
 */
export function argoGlob(pattern: string, separator?: string): (path: string) => boolean {
  // Runs of `*` match as one (with a separator: `*` stops at it, `**` does not, as gobwas/glob's super-asterisk);
  // a pattern longer than any real one (a merge request's) matches nothing.
  const glob = separator ? pattern.replace(/\*{3,}/g, '**') : pattern.replace(/\*{2,}/g, '*');
  if (glob.length > 1024) return () => false;
  type Token = { any: true; cross: boolean } | { one: true } | { set: string; negate: boolean } | { char: string };
  const alternatives = expandBraces(glob, 256);
  if (!alternatives) return () => false;
  const compiled: Token[][] = [];
  for (const alt of alternatives) {
    const tokens: Token[] = [];
    for (let i = 0; i < alt.length; i++) {
      const c = alt[i];
      if (c === '*' && separator && alt[i + 1] === '*') {
        tokens.push({ any: true, cross: true });
        i++;
      } else if (c === '*') tokens.push({ any: true, cross: !separator });
      else if (c === '?') tokens.push({ one: true });
      else if (c === '\\' && i + 1 < alt.length) tokens.push({ char: alt[++i] });
      else if (c === '[') {
        const end = alt.indexOf(']', i + 2);
        if (end < 0) return () => false;
        const body = alt.slice(i + 1, end);
        const negate = body.startsWith('!');
        const set = negate ? body.slice(1) : body;
        for (let j = 1; j < set.length - 1; j++) if (set[j] === '-' && set[j - 1] > set[j + 1]) return () => false;
        tokens.push({ set, negate });
        i = end;
      } else tokens.push({ char: c });
    }
    compiled.push(tokens);
  }
  const inSet = (set: string, c: string) => {
    for (let j = 0; j < set.length; j++) {
      if (j + 2 < set.length && set[j + 1] === '-') {
        if (c >= set[j] && c <= set[j + 2]) return true;
        j += 2;
      } else if (set[j] === c) return true;
    }
    return false;
  };
  const matches = (tokens: Token[], text: string) => {
    // reach[j]: the first i tokens can match text[0..j).
    let reach = new Array<boolean>(text.length + 1).fill(false);
    reach[0] = true;
    for (const t of tokens) {
      const next = new Array<boolean>(text.length + 1).fill(false);
      if ('any' in t) {
        let on = false;
        for (let j = 0; j <= text.length; j++) {
          if (!t.cross && j > 0 && text[j - 1] === separator) on = false;
          next[j] = on ||= reach[j];
        }
      } else {
        for (let j = 0; j < text.length; j++) {
          if (!reach[j]) continue;
          const c = text[j];
          const ok = 'one' in t ? c !== separator : 'set' in t ? inSet(t.set, c) !== t.negate : c === t.char;
          if (ok) next[j + 1] = true;
        }
      }
      reach = next;
    }
    return reach[text.length];
  };
  return (path) => compiled.some((tokens) => matches(tokens, path));
}

/** `{a,b}` alternatives of a glob spelled out (nested too); undefined when unbalanced or past `limit`. */
function expandBraces(glob: string, limit: number): string[] | undefined {
  let open = -1;
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === '{') {
      if (depth++ === 0) open = i;
    } else if (glob[i] === '}' && depth > 0 && --depth === 0) {
      const parts: string[] = [];
      let start = open + 1;
      let d = 0;
      for (let j = open + 1; j < i; j++) {
        if (glob[j] === '\\') j++;
        else if (glob[j] === '{') d++;
        else if (glob[j] === '}') d--;
        else if (glob[j] === ',' && d === 0) {
          parts.push(glob.slice(start, j));
          start = j + 1;
        }
      }
      parts.push(glob.slice(start, i));
      const out: string[] = [];
      for (const part of parts) {
        const rest = expandBraces(`${glob.slice(0, open)}${part}${glob.slice(i + 1)}`, limit);
        if (!rest) return undefined;
        out.push(...rest);
        if (out.length > limit) return undefined;
      }
      return out;
    }
  }
  return depth === 0 ? [glob] : undefined;
}

/** Go's path.Match (the git directory generator's matching): `*` and `?` within a segment, `[...]` classes, `\` escapes. */
export function goPathMatch(pattern: string, name: string): boolean {
  const p = pattern.split('/');
  const n = name.split('/');
  if (p.length !== n.length) return false;
  // No directory name is that long: a longer pattern (a merge request's) matches nothing, in bounded time.
  return p.every((seg, i) => wildcardMatch(seg, n[i], 255, '^'));
}

/** `*`, `?`, `[...]` (negated by one of `negators`) and `\` escapes over all of `text`; patterns over `maxLength` match nothing. */
function wildcardMatch(pattern: string, text: string, maxLength: number, negators: string, budget?: { left: number }): boolean {
  if (pattern.length > maxLength) return false;
  // Iterative wildcard matching with one backtrack point: linear-ish, whatever the pattern (no regex backtracking).
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  const single = (at: number, ch: string): [boolean, number] => {
    const c = pattern[at];
    if (c === '?') return [true, at + 1];
    if (c === '\\' && at + 1 < pattern.length) return [pattern[at + 1] === ch, at + 2];
    if (c === '[') {
      let j = at + 1;
      const negate = negators.includes(pattern[j]);
      if (negate) j++;
      let hit = false;
      while (j < pattern.length && (pattern[j] !== ']' || j === at + 1 + (negate ? 1 : 0))) {
        let lo = pattern[j];
        if (lo === '\\') lo = pattern[++j];
        let hi = lo;
        if (pattern[j + 1] === '-' && pattern[j + 2] !== ']' && j + 2 < pattern.length) {
          hi = pattern[j + 2] === '\\' ? pattern[j + 3] : pattern[j + 2];
          j += pattern[j + 2] === '\\' ? 3 : 2;
        }
        if (lo <= ch && ch <= hi) hit = true;
        j++;
      }
      return [hit !== negate, j + 1];
    }
    return [c === ch, at + 1];
  };
  while (ti < text.length) {
    if (budget && --budget.left < 0) throw new MatchBudgetExceeded();
    if (pi < pattern.length && pattern[pi] === '*') {
      star = pi++;
      mark = ti;
      continue;
    }
    if (pi < pattern.length) {
      const [ok, next] = single(pi, text[ti]);
      if (ok) {
        pi = next;
        ti++;
        continue;
      }
    }
    if (star < 0) return false;
    pi = star + 1;
    ti = ++mark;
  }
  while (pi < pattern.length && pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/**
 * A git pathspec as `git ls-files -- <pathspec>` matches it (Argo CD's default for the files generator):
 * without wildcards, the path itself or a directory above it; with them, wildmatch over the whole path,
 * where `*` and `?` also match `/` (git's pathspec matching without WM_PATHNAME).
 */
export function gitPathspecMatch(pattern: string, path: string, budget?: { left: number }): boolean {
  const spec = pattern.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (!/[*?[\\]/.test(spec)) return spec === '' || spec === '.' || path === spec || path.startsWith(`${spec}/`);
  return wildcardMatch(spec, path, 1024, '!^', budget);
}

/** A matching that used up the steps its caller allowed (many long patterns over many deep paths, a merge request's). */
export class MatchBudgetExceeded extends Error {}
