/**
 * Flux post-build variable substitution (Kustomization spec.postBuild), as kustomize-controller does it:
 * after the build, each object's YAML is run through envsubst with the variables of substituteFrom
 * (ConfigMaps, in order) and then substitute (inline, which wins); Secrets too (after SOPS decryption),
 * unless an object opts out. The validator checks what a cluster really receives: the substituted objects.
 * Semantics from fluxcd/pkg (envsubst/v1.7.0, kustomize/kustomize_varsub.go) and kustomize-controller.
 */
import { parse, stringify } from 'yaml';
import { listOf, objectKey, type BuildResult, type K8sObject } from './build.js';

/** Variable names Flux accepts. */
const VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** The annotation (or label) that turns substitution off for one object. */
const DISABLE = 'kustomize.toolkit.fluxcd.io/substitute';

export interface Substitution {
  text: string;
  /** Variables used without a value or a default. */
  missing: string[];
  /** `${` expressions Flux cannot parse or evaluate (it fails the whole build: "bad substitution", "missing closing brace", …). */
  unparsable: string[];
}

/**
 * One `${…}` as fluxcd/pkg envsubst parses it (envsubst/v1.7.0, the version kustomize-controller v1.9
 * builds with; a fork of drone/envsubst): a variable, the operator after it, and its arguments, each a
 * text or an expression of its own.
 */
interface Expression {
  param: string;
  /**
   * '' (the variable), '#' (length without an argument, else strip the shortest matching prefix), '##',
   * '%', '%%', ':' (substring), '/', '//', '/#', '/%' (replace), ',', ',,', '^', '^^' (case), or a default:
   * '=', ':=', ':-', ':?', ':+'.
   */
  op: string;
  args: (string | Expression)[];
  /** The expression as written, `${` to `}`. */
  source: string;
}

/** An expression envsubst does not parse (parse/parse.go's errors: "bad substitution", "missing closing brace", …). */
class EnvsubstSyntax extends Error {}
/** Expressions nested deeper than MAX_NESTING: not read (bounded time and stack). */
class TooDeep extends Error {}

/** Which runes a token takes (parse/scan.go's accept functions); `i` is the token's length with the rune. */
type Accept = (r: string, i: number) => boolean;
/** scan.go acceptIdent: unicode.IsLetter, unicode.IsDigit or `_`, first rune included (so `${1}` is a variable). */
const acceptIdent: Accept = (r) => /^[\p{L}\p{Nd}_]$/u.test(r);

/** The operators that supply a value of their own when the variable has none (template.go isDefaultOp; `-`, `+` and `?` alone never parse). */
const DEFAULT_OPS = new Set(['=', ':=', ':-', ':?', ':+']);

/**
 * parse/parse.go over one line, from just after a `${`: parseFunc and what it calls, token for token, so
 * that what Flux parses is read the same and what it refuses is refused. (Flux reads an expression across
 * lines; a real one is on one.)
 */
class ExpressionParser {
  constructor(
    private readonly s: string,
    public pos: number,
  ) {}

  /**
   * scan.go scanIdent: the runes `accept` takes from here, undefined when it takes none. With `escapes`
   * (the replace operator's arguments) `$$` is `$` and `\/`, `\\` are `/`, `\`; with `nested` it stops
   * before a `${`.
   */
  run(accept: Accept, escapes = false, nested = false): string | undefined {
    let out = '';
    let length = 0;
    while (this.pos < this.s.length) {
      const r = String.fromCodePoint(this.s.codePointAt(this.pos)!);
      const next = this.s[this.pos + r.length];
      if (nested && r === '$' && next === '{') break;
      if (escapes && ((r === '$' && next === '$') || (r === '\\' && (next === '/' || next === '\\')))) {
        out += next;
        this.pos += 2;
        length += 1;
        continue;
      }
      if (!accept(r, length + r.length)) break;
      out += r;
      this.pos += r.length;
      length += r.length;
    }
    return length > 0 ? out : undefined;
  }

  /** consumeRbrack. */
  close(): void {
    if (this.s[this.pos] !== '}') throw new EnvsubstSyntax();
    this.pos++;
  }

  /** parseParam: a nested `${…}`, or a run of text. */
  param(accept: Accept, escapes: boolean, depth: number): string | Expression {
    if (this.s[this.pos] === '$' && this.s[this.pos + 1] === '{') {
      this.pos += 2;
      return this.func(depth + 1);
    }
    const text = this.run(accept, escapes, true);
    if (text === undefined) throw new EnvsubstSyntax();
    return text;
  }

  /** parseFunc, from just after `${`. */
  func(depth: number): Expression {
    if (depth > MAX_NESTING) throw new TooDeep();
    const start = this.pos - 2;
    const done = (param: string, op: string, args: (string | Expression)[] = []): Expression => ({ param, op, args, source: this.s.slice(start, this.pos) });
    if (this.s[this.pos] === '#') {
      // parseLenFunc: `${#name}`.
      this.run((r, i) => r === '#' && i === 1);
      const param = this.run(acceptIdent);
      if (param === undefined) throw new EnvsubstSyntax();
      this.close();
      return done(param, '#');
    }
    const param = this.run(acceptIdent);
    if (param === undefined) throw new EnvsubstSyntax();
    const c = this.s[this.pos];
    const args: (string | Expression)[] = [];
    const notClosing: Accept = (r) => r !== '}';
    if (c === '=' || (c === ':' && ['=', '-', '?', '+'].includes(this.s[this.pos + 1]))) {
      // parseDefaultFunc: the arguments (text and expressions) up to the `}`, joined.
      const op = this.run(c === '=' ? (r, i) => i === 1 && r === '=' : (r, i) => (i === 1 && r === ':') || (i === 2 && ['=', '-', '?', '+'].includes(r)))!;
      while (this.s[this.pos] !== '}') args.push(this.param(notClosing, false, depth));
      this.pos++;
      return done(param, op, args);
    }
    if (c === ':') {
      // parseSubstrFunc: `${name:offset}`, `${name:offset:length}`.
      const op = this.run((r, i) => i === 1 && r === ':')!;
      args.push(this.param((r) => r !== ':' && r !== '}', false, depth));
      if (this.s[this.pos] === '}') {
        this.pos++;
        return done(param, op, args);
      }
      if (this.run((r) => r === ':') === undefined) throw new EnvsubstSyntax();
      args.push(this.param(notClosing, false, depth));
      this.close();
      return done(param, op, args);
    }
    if (c === ',' || c === '^') {
      // parseCasingFunc.
      const op = this.run((r, i) => (r === ',' || r === '^') && i < 3)!;
      this.close();
      return done(param, op);
    }
    if (c === '/') {
      // parseReplaceFunc: `${name/pattern/replacement}`, the replacement may be empty; one `/` after the name and no second is refused.
      const op = this.run((r, i) => (i === 1 && r === '/') || (i === 2 && (r === '/' || r === '#' || r === '%')))!;
      args.push(this.param((r) => r !== '/', true, depth));
      if (this.run((r) => r === '/') === undefined) throw new EnvsubstSyntax();
      if (this.s[this.pos] !== '}') args.push(this.param(notClosing, true, depth));
      this.close();
      return done(param, op, args);
    }
    if (c === '#' || c === '%') {
      // parseRemoveFunc: one argument, the pattern.
      const op = this.run((r, i) => r === c && i < 3)!;
      args.push(this.param(notClosing, false, depth));
      this.close();
      return done(param, op, args);
    }
    this.close();
    return done(param, '');
  }
}

/** Go's strconv.Atoi: an optional sign and decimal digits, in int64's range; undefined where it fails. */
function atoi(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > 9223372036854775807n || n < -9223372036854775808n ? undefined : Number(n);
}

/** A rune's case mapped as Go's unicode.ToUpper/ToLower do, rune for rune (where JavaScript's mapping gives several, the rune stays). */
const mapRune = (r: string, upper: boolean) => {
  const m = upper ? r.toUpperCase() : r.toLowerCase();
  return [...m].length === 1 ? m : r;
};
const mapCase = (s: string, upper: boolean) => [...s].map((r) => mapRune(r, upper)).join('');
const mapFirst = (s: string, upper: boolean) => {
  if (s === '') return s;
  const first = String.fromCodePoint(s.codePointAt(0)!);
  return mapRune(first, upper) + s.slice(first.length);
};

/**
 * funcs.go toSubstr: offset and length count bytes; a negative offset counts from the end; an offset or
 * length that is no number gives the value whole. A negative length that ends before the offset makes
 * Go's slice panic: undefined (Flux fails).
 */
function toSubstr(s: string, args: string[]): string | undefined {
  const bytes = Buffer.from(s, 'utf8');
  let pos = atoi(args[0]);
  if (pos === undefined) return s;
  if (pos < 0) pos = Math.max(bytes.length + pos, 0);
  if (args.length === 1) return pos < bytes.length ? bytes.subarray(pos).toString('utf8') : '';
  const length = atoi(args[1]);
  if (length === undefined) return s;
  if (pos + length >= bytes.length) return pos < bytes.length ? bytes.subarray(pos).toString('utf8') : '';
  if (length < 0) return undefined;
  return bytes.subarray(pos, pos + length).toString('utf8');
}

/** path/match.go scanChunk: the next run of the pattern without `*`, and whether a `*` came before it. */
function scanChunk(pattern: string): [boolean, string, string] {
  let star = false;
  while (pattern.startsWith('*')) {
    pattern = pattern.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 < pattern.length) i++;
    } else if (c === '[') inRange = true;
    else if (c === ']') inRange = false;
    else if (c === '*' && !inRange) break;
  }
  return [star, pattern.slice(0, i), pattern.slice(i)];
}

const BAD_PATTERN = -2;
/** path/match.go getEsc: a character of a class, maybe escaped; BAD_PATTERN where the class is malformed. */
function classChar(chunk: string, c: number): { r: number; next: number } | typeof BAD_PATTERN {
  if (c >= chunk.length || chunk[c] === '-' || chunk[c] === ']') return BAD_PATTERN;
  if (chunk[c] === '\\') {
    c++;
    if (c >= chunk.length) return BAD_PATTERN;
  }
  const r = chunk.codePointAt(c)!;
  const next = c + (r > 0xffff ? 2 : 1);
  return next >= chunk.length ? BAD_PATTERN : { r, next };
}

/** path/match.go matchChunk: where `chunk` (no `*`) matching at `at` of `s` ends; -1 where it does not match, BAD_PATTERN where it is malformed. */
function matchChunk(chunk: string, s: string, at: number): number {
  let c = 0;
  while (c < chunk.length) {
    if (at >= s.length) return -1;
    if (chunk[c] === '[') {
      const r = s.codePointAt(at)!;
      at += r > 0xffff ? 2 : 1;
      c++;
      let negated = false;
      if (chunk[c] === '^') {
        negated = true;
        c++;
      }
      let match = false;
      for (let ranges = 0; ; ranges++) {
        if (c < chunk.length && chunk[c] === ']' && ranges > 0) {
          c++;
          break;
        }
        const lo = classChar(chunk, c);
        if (lo === BAD_PATTERN) return BAD_PATTERN;
        let hi = lo.r;
        c = lo.next;
        if (chunk[c] === '-') {
          const h = classChar(chunk, c + 1);
          if (h === BAD_PATTERN) return BAD_PATTERN;
          hi = h.r;
          c = h.next;
        }
        if (lo.r <= r && r <= hi) match = true;
      }
      if (match === negated) return -1;
    } else if (chunk[c] === '?') {
      at += s.codePointAt(at)! > 0xffff ? 2 : 1;
      c++;
    } else {
      if (chunk[c] === '\\') {
        c++;
        if (c >= chunk.length) return BAD_PATTERN;
      }
      if (chunk[c] !== s[at]) return -1;
      at++;
      c++;
    }
  }
  return at;
}

/**
 * fluxcd/pkg envsubst/path/match.go Match: Go's path.Match, except that `*` and `?` match `/` as well and
 * a trailing `*` takes the rest. undefined: a malformed pattern.
 */
function globMatch(pattern: string, name: string): boolean | undefined {
  let at = 0;
  next: while (pattern.length > 0) {
    const [star, chunk, rest] = scanChunk(pattern);
    pattern = rest;
    if (star && chunk === '') return true;
    const t = matchChunk(chunk, name, at);
    if (t >= 0 && (t === name.length || pattern.length > 0)) {
      at = t;
      continue;
    }
    if (t === BAD_PATTERN) return undefined;
    if (star) {
      for (let i = at; i < name.length; i++) {
        const u = matchChunk(chunk, name, i + 1);
        if (u >= 0) {
          if (pattern.length === 0 && u < name.length) continue;
          at = u;
          continue next;
        }
        if (u === BAD_PATTERN) return undefined;
      }
    }
    return false;
  }
  return at === name.length;
}

/** funcs.go trimShortest: without the shortest non-empty prefix the pattern matches (every candidate tried, longest first; a malformed pattern leaves the value). */
function trimShortest(s: string, pattern: string): string {
  let shortest = 0;
  for (let i = 0; i < s.length; i++) {
    const m = globMatch(pattern, s.slice(0, s.length - i));
    if (m === undefined) return s;
    if (m) shortest = s.length - i;
  }
  return s.slice(shortest);
}
/** funcs.go trimLongest. */
function trimLongest(s: string, pattern: string): string {
  for (let i = 0; i < s.length; i++) {
    const m = globMatch(pattern, s.slice(0, s.length - i));
    if (m === undefined) return s;
    if (m) return s.slice(s.length - i);
  }
  return s;
}
/** funcs.go reverse, rune by rune: the suffix operators trim the reversed value by the reversed pattern. */
const reverse = (s: string) => [...s].reverse().join('');

/**
 * template.go lookupFunc and funcs.go: the operator applied to the variable's value and its evaluated
 * arguments. The replace operators take their pattern literally (strings.Replace, no glob); `/#` and `/%`
 * with an empty replacement leave the value (funcs.go replacePrefix/replaceSuffix need two arguments).
 * undefined: Flux fails (toSubstr's panic).
 */
function applyOperator(op: string, v: string, args: string[]): string | undefined {
  switch (op) {
    case ',':
      return mapFirst(v, false);
    case ',,':
      return mapCase(v, false);
    case '^':
      return mapFirst(v, true);
    case '^^':
      return mapCase(v, true);
    case '#':
      return args.length === 0 ? String(Buffer.byteLength(v, 'utf8')) : trimShortest(v, args[0]);
    case '##':
      return trimLongest(v, args[0]);
    case '%':
      return reverse(trimShortest(reverse(v), reverse(args[0])));
    case '%%':
      return reverse(trimLongest(reverse(v), reverse(args[0])));
    case ':':
      return toSubstr(v, args);
    case '/#':
      return args.length === 2 && v.startsWith(args[0]) ? args[1] + v.slice(args[0].length) : v;
    case '/%':
      return args.length === 2 && v.endsWith(args[0]) ? v.slice(0, v.length - args[0].length) + args[1] : v;
    case '/':
      return v.replace(args[0], () => args[1] ?? '');
    case '//':
      return v.replaceAll(args[0], () => args[1] ?? '');
    default:
      // toDefault (also the plain variable, and a casing operator mixing `,` and `^`).
      return v === '' && args.length > 0 ? args.join('') : v;
  }
}
/** Expressions nested deeper than this are not evaluated (real ones nest one or two deep). */
const MAX_NESTING = 16;
/**
 * Pattern trims cost the value's length squared times the pattern's (funcs.go tries every prefix, each
 * with path.Match): beyond this budget (a 1000-character value with a 4-character pattern; real ones are an
 * image reference and a few characters), and where a replacement grows the value by more than 4 KiB, the
 * expression is left as written, as a value not known here is. Either costs, per byte of the expression,
 * about what copying a long value into `${name}` does.
 */
const TRIM_BUDGET = 4_000_000;

/**
 * envsubst as fluxcd/pkg does it over an object's YAML (envsubst/v1.7.0 parse/parse.go, template.go,
 * funcs.go): `$$` is a literal `$` (so `$${x}` is `${x}`), a `$` before anything else stays, and `${…}` is
 * evaluated with every operator envsubst parses: `${name}`; the defaults `${name=d}`, `${name:=d}`,
 * `${name:-d}` and (evaluated as `:-`, whatever bash does) `${name:?d}`, `${name:+d}`, used where the variable
 * is unset or empty, and itself substituted (`${CLAIM:-${APP}}`); `${#name}` (length in bytes);
 * `${name^}`, `${name^^}`, `${name,}`, `${name,,}` (case); `${name:offset}`, `${name:offset:length}`
 * (bytes); `${name#glob}`, `${name##glob}`, `${name%glob}`, `${name%%glob}` (trim the shortest or longest
 * match of a glob whose `*` and `?` match any character); `${name/text/repl}`, `${name//text/repl}`,
 * `${name/#text/repl}`, `${name/%text/repl}` (literal text). A variable without a value is missing (an
 * error in strict mode, the default since Flux 2.9, except under a default operator) and evaluated as empty,
 * as without strict mode (`${#unset}` is 0); with `keepUnset` (it may come from a source not in the
 * repository) the expression is left as written. What envsubst does not parse (`${a.b}`, `${a-b}`,
 * `${name%}`, `${name/x}`) breaks the build: unparsable.
 */
export function substitute(text: string, vars: ReadonlyMap<string, string>, depth = 0, keepUnset = false): Substitution {
  const missing = new Set<string>();
  const unparsable = new Set<string>();
  /** An expression's value, or (unknown) its text as written where the value cannot be known here. */
  const evaluate = (node: string | Expression): { text: string; unknown: boolean } => {
    if (typeof node === 'string') return { text: node, unknown: false };
    const value = vars.get(node.param);
    if (DEFAULT_OPS.has(node.op)) {
      if (value) return { text: value, unknown: false };
      // The default, substituted in turn (what it lacks counts only where it is used).
      const parts = node.args.map(evaluate);
      return { text: parts.map((p) => p.text).join(''), unknown: parts.some((p) => p.unknown) };
    }
    if (value === undefined) {
      missing.add(node.param);
      // Its value may come from a source not in the repository (a Secret): unknown, so left as written.
      if (keepUnset) return { text: node.source, unknown: true };
    }
    const args = node.args.map(evaluate);
    if (args.some((a) => a.unknown)) return { text: node.source, unknown: true };
    const v = value ?? '';
    const pattern = args[0]?.text ?? '';
    if (['#', '##', '%', '%%'].includes(node.op) && node.args.length > 0 && v.length * v.length * Math.max(pattern.length, 1) > TRIM_BUDGET) return { text: node.source, unknown: true };
    const result = applyOperator(node.op, v, args.map((a) => a.text));
    if (result === undefined) {
      unparsable.add(node.source);
      return { text: node.source, unknown: true };
    }
    if (node.op.startsWith('/') && result.length > v.length + 4096) return { text: node.source, unknown: true };
    return { text: result, unknown: false };
  };
  let out = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('$', i);
    if (at < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, at);
    const next = text[at + 1];
    if (next === '$') {
      out += '$';
      i = at + 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = at + 1;
      continue;
    }
    // An expression ends on its line, and within 4 KiB: the scan stays linear in the text whatever it holds.
    const window = text.slice(at, at + 2 + 4096);
    const line = window.includes('\n') ? window.slice(0, window.indexOf('\n')) : window;
    let expression: Expression | undefined;
    let tooDeep = false;
    try {
      expression = new ExpressionParser(line, 2).func(depth);
    } catch (e) {
      if (e instanceof TooDeep) tooDeep = true;
      else if (!(e instanceof EnvsubstSyntax)) throw e;
    }
    if (expression) {
      out += evaluate(expression).text;
      i = at + expression.source.length;
      continue;
    }
    // Not an expression envsubst parses (or, nested deeper than any real one, not read): passed over up to its first `}`.
    const end = line.indexOf('}');
    const written = end < 0 ? line : line.slice(0, end + 1);
    unparsable.add(tooDeep && written.length > 80 ? `${written.slice(0, 80)}…` : written);
    out += written;
    i = at + written.length;
  }
  return { text: out, missing: [...missing], unparsable: [...unparsable] };
}

interface SubstituteFrom {
  kind?: string;
  name?: string;
  optional?: boolean;
}

/**
 * The variables a Kustomization substitutes: ConfigMaps of its namespace (from `configMaps`), then its
 * inline ones (kustomize-controller LoadVariables: later sources win, inline last). `unknown` names the
 * sources not in the repository (Secrets; optional ConfigMaps it does not hold; a ConfigMap a README or script
 * step makes or `validate --exists` names, `madeByHand`: how it is made), whose variables cannot be known; `halted`, that a ConfigMap it needs is not there,
 * so Flux substitutes nothing.
 */
export function kustomizationVariables(
  kustomization: K8sObject,
  configMaps: (namespace: string, name: string) => Record<string, string> | undefined,
  located: (namespace: string, name: string) => string | undefined = () => undefined,
  madeByHand: (namespace: string, name: string) => string | undefined = () => undefined,
): { vars: Map<string, string>; problems: string[]; unknown: string[]; halted: boolean } {
  const postBuild = (kustomization.spec?.postBuild ?? {}) as { substitute?: Record<string, string>; substituteFrom?: SubstituteFrom[] };
  const vars = new Map<string, string>();
  const problems: string[] = [];
  const unknown: string[] = [];
  // A source that is not there (not optional): kustomize-controller stops before it substitutes anything
  // (fluxcd/pkg kustomize/kustomize_varsub.go LoadVariables returns the error first), so no variable is
  // ever found unset: that one problem is what Flux says.
  let halted = false;
  const ns = kustomization.metadata?.namespace ?? 'default';
  for (const from of listOf<SubstituteFrom>(postBuild.substituteFrom)) {
    if (!from || typeof from !== 'object') continue;
    if (from.kind !== 'ConfigMap') {
      unknown.push(`${from.kind} ${ns}/${from.name}`);
      continue;
    }
    const data = configMaps(ns, String(from.name));
    if (!data) {
      const file = from.optional ? undefined : located(ns, String(from.name));
      const made = madeByHand(ns, String(from.name));
      if (!from.optional && (file || !made)) halted = true;
      if (file) problems.push(`substituteFrom ConfigMap ${ns}/${from.name} (${file}) is not applied before this Kustomization, and kustomize-controller reads it from the cluster before it applies anything: it stops with "not found" until the ConfigMap is there (apply it first: by hand in a documented step, or from a Kustomization this one dependsOn)`);
      else if (!from.optional && made) unknown.push(`ConfigMap ${ns}/${from.name} (${made})`);
      else if (!from.optional) problems.push(`substituteFrom ConfigMap ${ns}/${from.name} is not in the repository: Flux stops with "not found"`);
      else unknown.push(`ConfigMap ${ns}/${from.name} (optional)`);
      continue;
    }
    for (const [k, v] of Object.entries(data)) vars.set(k, String(v).replaceAll('\n', ''));
  }
  // Newlines are taken out of every value (kustomize_varsub.go LoadVariables): a value is one line.
  for (const [k, v] of Object.entries(postBuild.substitute ?? {})) vars.set(k, String(v).replaceAll('\n', ''));
  for (const k of vars.keys()) if (!VARIABLE_NAME.test(k)) problems.push(`variable ${JSON.stringify(k)} is not a valid name (letters, digits and _; not starting with a digit)`);
  return { vars, problems, unknown, halted };
}

const textCache = new WeakMap<K8sObject, string>();
/** An object's YAML as Flux substitutes it (cached: a shared overlay is substituted once per cluster). */
function yamlOf(object: K8sObject): string {
  let text = textCache.get(object);
  if (text === undefined) {
    text = stringify(object, { lineWidth: 0 });
    textCache.set(object, text);
  }
  return text;
}

/**
 * A build as one Kustomization with postBuild delivers it: every object substituted, unless it opts
 * out. Objects without a `$` come through as the same object (so they are validated once, not per cluster).
 */
export function substituteBuild(
  build: BuildResult,
  vars: ReadonlyMap<string, string>,
  /** Some variables come from sources not in the repository: one without a value here is left as written, not emptied. */
  keepUnset = false,
): { build: BuildResult; missing: { origin: string; name: string }[]; unparsable: { origin: string; expression: string }[]; broken: { origin: string; message: string }[]; bytes: number } {
  const missing: { origin: string; name: string }[] = [];
  const unparsable: { origin: string; expression: string }[] = [];
  const broken: { origin: string; message: string }[] = [];
  let bytes = 0;
  // Flux substitutes only when there is at least one variable (substituteStrategy WithVariables, the default).
  if (vars.size === 0) return { build, missing, unparsable, broken, bytes };
  const objects = build.objects.map((b) => {
    const meta = b.object.metadata;
    if (meta?.annotations?.[DISABLE] === 'disabled' || meta?.labels?.[DISABLE] === 'disabled') return [b];
    const text = yamlOf(b.object);
    if (!text.includes('$')) return [b];
    bytes += text.length;
    const r = substitute(text, vars, 0, keepUnset);
    const origin = b.patchedBy.at(-1) ?? b.origin;
    for (const name of r.missing) missing.push({ origin, name });
    for (const expression of r.unparsable) unparsable.push({ origin, expression });
    if (r.text === text) return [b];
    try {
      return [{ ...b, object: (parse(r.text, { maxAliasCount: 100 }) as K8sObject | null) ?? {} }];
    } catch (e) {
      // A value that breaks the YAML (a quote, a `: `): Flux fails the build (YAMLToJSON) and applies nothing of it.
      broken.push({ origin, message: `${objectKey(b.object)} is no longer YAML once its variables are substituted (${(e as Error).message.split('\n')[0]}): Flux fails the build` });
      return [];
    }
  }).flat();
  return { build: { ...build, objects }, missing, unparsable, broken, bytes };
}


/** ConfigMap data among parsed objects, by namespace and name. */
export function configMapsIn(objects: K8sObject[]): (namespace: string, name: string) => Record<string, string> | undefined {
  const found = new Map<string, Record<string, string>>();
  for (const o of objects) {
    if (o.kind === 'ConfigMap' && o.apiVersion === 'v1') found.set(`${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`, (o.data as Record<string, string>) ?? {});
  }
  return (namespace, name) => found.get(`${namespace}/${name}`);
}
