/**
 * The part of Go's text/template (with the sprig functions Argo CD adds) that ApplicationSet templates use
 * in strings: field paths (`.path.basename`), `index`, pipelines and the common string functions. Argo CD
 * renders each string of the template on its own (applicationset/utils/utils.go, Render.Replace), so a
 * string here is one template, with if / else if / else / end. What is outside this subset (range, with,
 * variables, other functions)
 * is `unsupported`: the caller leaves that Application unexpanded and says so, never guesses.
 *
 * Missing map keys follow Go: a field path to a key that is not there is an error with
 * `missingkey=error`, else prints "<no value>"; `index` of a missing key gives an empty string here
 * whatever the option (the zero value of the string maps Argo CD fills for clusters; Go prints "<no
 * value>" for other maps), recorded in `emptyIndex` unless a `default` in the same action handles it.
 */
import { stringify } from 'yaml';
export type Params = Record<string, unknown>;

export type Rendered =
  | { value: string; emptyIndex: string[] }
  | { missing: string }
  | { unsupported: string }
  /** A template Go's parser refuses (an undefined variable): Argo CD fails the ApplicationSet. */
  | { invalid: string };

/**
 * A variable used in a string's actions that none of them declares (`{{ $labels.namespace }}`, a Prometheus
 * rule's text left in a values string): Go's parser fails with "undefined variable" (text/template/parse
 * parse.go useVar), and Argo CD renders each string as a template of its own.
 */
function undefinedVariable(text: string): string | undefined {
  const actions = [...text.matchAll(/\{\{(.*?)\}\}/gs)].map((m) => m[1].replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""'));
  const declared = new Set(actions.flatMap((a) => [...a.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*\$[A-Za-z_][A-Za-z0-9_]*\s*)?:?=/g), ...a.matchAll(/,\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*:?=/g)].map((m) => m[1])));
  for (const a of actions) for (const m of a.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) if (!declared.has(m[1])) return `$${m[1]}`;
  return undefined;
}

interface Options {
  missingKeyError: boolean;
}

type Token = { t: 'field'; path: string[]; text: string } | { t: 'string'; value: string } | { t: 'number'; value: number } | { t: 'ident'; name: string } | { t: 'pipe' } | { t: 'open' } | { t: 'close' } | { t: 'bool'; value: boolean };

class Unsupported extends Error {}
class Missing extends Error {}

const NO_VALUE = '<no value>';

/** Argo CD's `normalize` (utils.SanitizeName): lower case, DNS characters only, at most 253, no leading or trailing `-`/`.`. */
export const sanitizeName = (name: string) => name.toLowerCase().replace(/[^-a-z0-9.]/g, '-').slice(0, 253).replace(/^[-.]+|[-.]+$/g, '');

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|') {
      tokens.push({ t: 'pipe' });
      i++;
    } else if (c === '(') {
      tokens.push({ t: 'open' });
      i++;
    } else if (c === ')') {
      tokens.push({ t: 'close' });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) {
          const e = text[j + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else value += text[j++];
      }
      if (j >= text.length) throw new Unsupported('an unterminated string');
      tokens.push({ t: 'string', value });
      i = j + 1;
    } else if (c === '`') {
      const j = text.indexOf('`', i + 1);
      if (j < 0) throw new Unsupported('an unterminated string');
      tokens.push({ t: 'string', value: text.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '$' && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      throw new Unsupported('template variables');
    } else if (c === '.' || c === '$') {
      const m = /^(\$?(?:\.[A-Za-z_][A-Za-z0-9_]*)*\.?)/.exec(text.slice(i))![1];
      const path = m.replace(/^\$/, '').split('.').filter(Boolean);
      tokens.push({ t: 'field', path, text: m });
      i += m.length;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?[0-9]+/.exec(text.slice(i));
      if (!m) throw new Unsupported(`${JSON.stringify(text.slice(i, i + 10))}`);
      tokens.push({ t: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      if (m === 'true' || m === 'false') tokens.push({ t: 'bool', value: m === 'true' });
      else tokens.push({ t: 'ident', name: m });
      i += m.length;
    } else {
      throw new Unsupported(`${JSON.stringify(c)} in an action`);
    }
  }
  return tokens;
}

const CONTROL = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil']);

/** A JSON number as Go's `%v` prints a float64 (strconv 'g', shortest): exponent form below 1e-4 and from 1e6 on (`1e+06`). */
export function goNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const [mantissa, e] = n.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

function print(v: unknown): string {
  if (v === undefined || v === null) return NO_VALUE;
  // Numbers in parameters are JSON's float64 in Argo CD: printed as Go prints them (1e+06).
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  throw new Unsupported('printing a map or a list');
}

const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : print(v));
/** Go's eq on basic values: of one kind and equal; comparing maps or lists is not rendered here. */
const same = (a: unknown, b: unknown) => {
  if ((a !== null && typeof a === 'object') || (b !== null && typeof b === 'object')) throw new Unsupported('comparing maps or lists');
  if (typeof a !== typeof b) throw new Unsupported(`comparing a ${typeof a} with a ${typeof b}`);
  return a === b;
};
const empty = (v: unknown) => v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/**
 * No template string renders longer than this (a Kubernetes name is at most 253 characters; a whole
 * ApplicationSet at most 1.5 MiB): a merge request's chain of `replace` would otherwise grow a string
 * tenfold per step, past memory.
 */
const MAX_RENDERED = 2 ** 20;
function bounded(text: string): string {
  if (text.length > MAX_RENDERED) throw new Unsupported(`a template that renders more than ${MAX_RENDERED / 2 ** 20} MiB`);
  return text;
}

/** Every line of a text with `n` spaces before it (sprig's indent). */
function padLines(n: number, text: string): string {
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Unsupported('indent by something that is no small whole number');
  const pad = ' '.repeat(n);
  return pad + text.replaceAll('\n', `\n${pad}`);
}

/** sprig's functions that ApplicationSet templates use on strings, by name; their last argument is the piped value. */
const FUNCTIONS: Record<string, (args: unknown[]) => unknown> = {
  lower: ([s]) => str(s).toLowerCase(),
  upper: ([s]) => str(s).toUpperCase(),
  title: ([s]) => str(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  trim: ([s]) => str(s).trim(),
  trimPrefix: ([p, s]) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimSuffix: ([p, s]) => (str(p) && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
  trimAll: ([c, s]) => {
    const set = new Set(str(c));
    const a = str(s);
    let start = 0;
    let end = a.length;
    while (start < end && set.has(a[start])) start++;
    while (end > start && set.has(a[end - 1])) end--;
    return a.slice(start, end);
  },
  replace: ([o, n, s]) => bounded(str(s).split(str(o)).join(str(n))),
  default: (args) => (args.length < 2 || empty(args[1]) ? args[0] : args[1]),
  quote: (args) => args.map((a) => JSON.stringify(str(a))).join(' '),
  squote: (args) => args.map((a) => `'${str(a)}'`).join(' '),
  trunc: ([n, s]) => {
    const text = str(s);
    const count = Number(n);
    return count >= 0 ? text.slice(0, count) : text.slice(Math.max(0, text.length + count));
  },
  cat: (args) => args.filter((a) => a !== undefined && a !== null).map(str).join(' '),
  join: ([sep, list]) => {
    if (!Array.isArray(list)) return str(list);
    const parts = list.map(str);
    const size = parts.reduce((n, p) => n + p.length, 0) + str(sep).length * Math.max(0, parts.length - 1);
    if (size > MAX_RENDERED) throw new Unsupported(`a template that renders more than ${MAX_RENDERED / 2 ** 20} MiB`);
    return parts.join(str(sep));
  },
  base: ([s]) => str(s).split('/').filter(Boolean).pop() ?? '.',
  dir: (args) => {
    const parts = str(args[0]).split('/');
    parts.pop();
    return parts.join('/') || '.';
  },
  toString: (args: unknown[]) => str(args[0]),
  // Comparisons and logic: text/template's builtins (eq, ne, not, and, or) and sprig's (ternary, empty,
  // coalesce, hasPrefix, hasSuffix, contains), as ApplicationSets use them to pick values.
  eq: ([a, ...rest]) => rest.some((b) => same(a, b)),
  ne: ([a, b]) => !same(a, b),
  not: ([a]) => empty(a),
  and: (args) => args.find((a) => empty(a)) ?? args.at(-1),
  or: (args) => args.find((a) => !empty(a)) ?? args.at(-1),
  ternary: ([yes, no, condition]) => (condition === true ? yes : no),
  empty: ([a]) => empty(a),
  coalesce: (args) => args.find((a) => !empty(a)),
  hasPrefix: ([p, s]) => str(s).startsWith(str(p)),
  hasSuffix: ([p, s]) => str(s).endsWith(str(p)),
  contains: ([p, s]) => str(s).includes(str(p)),
  // sprig's dig: keys into nested maps, the default where one is missing, the map last (`dig "a" "b" "none" .`).
  dig: (args) => {
    if (args.length < 3) throw new Unsupported('dig with fewer than a key, a default and a map');
    const keys = args.slice(0, -2);
    const fallback = args.at(-2);
    let v: unknown = args.at(-1);
    for (const k of keys) {
      if (typeof k !== 'string') throw new Unsupported('dig with a key that is no string');
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported('dig into something that is no map');
      if (!Object.hasOwn(v, k)) return fallback;
      v = (v as Params)[k];
    }
    return v;
  },
  normalize: ([s]) => sanitizeName(str(s)),
  // sprig's hasKey (`hasKey . "syncWave"`), indent and nindent (every line padded; nindent starts a new line
  // first), and Argo CD's own toYaml (applicationset/utils: sigs.k8s.io/yaml's Marshal, its trailing newline
  // trimmed; keys in order, as that marshals through JSON), as templatePatch blocks use them.
  hasKey: ([m, k]) => m !== null && typeof m === 'object' && !Array.isArray(m) && Object.hasOwn(m, str(k)),
  toYaml: ([v]) => bounded(stringify(v ?? null, { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, '')),
  indent: ([n, s]) => bounded(padLines(Number(n), str(s))),
  nindent: ([n, s]) => bounded(`\n${padLines(Number(n), str(s))}`),
  printf: ([format, ...rest]) => {
    // %s, %v, %d and %q as they print strings and integers; any other verb or a flag is not rendered here.
    if (/%(?![svdq%])/.test(str(format))) throw new Unsupported('a printf verb other than %s, %v, %d, %q');
    let k = 0;
    return str(format).replace(/%([svdq%])/g, (_m, verb: string) => (verb === '%' ? '%' : verb === 'q' ? JSON.stringify(str(rest[k++])) : str(rest[k++])));
  },
};

/** Renders one string of an ApplicationSet template with `params` (Go templates with sprig). */
export function renderGoTemplate(text: string, params: Params, { missingKeyError }: Options): Rendered {
  const undefinedVar = undefinedVariable(text);
  if (undefinedVar) return { invalid: `undefined variable "${undefinedVar}" (Go's template parser refuses it, so Argo CD fails the ApplicationSet)` };
  const emptyIndex: string[] = [];
  // The open {{if}}s: whether the one around them prints, whether a branch was taken, whether this one prints.
  const frames: { outer: boolean; taken: boolean; on: boolean }[] = [];
  const active = () => frames.length === 0 || frames.at(-1)!.on;
  try {
    let out = '';
    let i = 0;
    while (i < text.length) {
      const open = text.indexOf('{{', i);
      if (open < 0) {
        if (active()) out += text.slice(i);
        break;
      }
      let literal = text.slice(i, open);
      let start = open + 2;
      if (text.startsWith('- ', start) || text.startsWith('-\t', start) || text.startsWith('-\n', start) || text.startsWith('-\r', start)) {
        literal = trimEnd(literal);
        start++;
      }
      if (active()) out += literal;
      const close = text.indexOf('}}', start);
      if (close < 0) throw new Unsupported('an action without "}}"');
      let body = text.slice(start, close);
      let next = close + 2;
      if (/\s-$/.test(body)) {
        body = body.slice(0, -1);
        while (next < text.length && /\s/.test(text[next])) next++;
      }
      const action = body.trim();
      if (action.startsWith('/*')) {
        i = next;
        continue;
      }
      const tokens = tokenize(action);
      const head = tokens[0]?.t === 'ident' ? tokens[0].name : undefined;
      const frame = frames.at(-1);
      // if / else if / else / end: a condition is evaluated only where it is reached, as Go does.
      if (head === 'if') {
        const truthy = active() && isTrue(evaluate(tokens.slice(1), params, missingKeyError, []));
        frames.push({ outer: active(), taken: truthy, on: truthy });
      } else if (head === 'else') {
        if (!frame) throw new Unsupported('{{else}} outside {{if}}');
        const elseIf = tokens[1]?.t === 'ident' && tokens[1].name === 'if';
        if (!elseIf && tokens.length > 1) throw new Unsupported(`{{else ${tokens[1]?.t === 'ident' ? tokens[1].name : '…'}}}`);
        const reached = frame.outer && !frame.taken;
        frame.on = reached && (!elseIf || isTrue(evaluate(tokens.slice(2), params, missingKeyError, [])));
        frame.taken ||= frame.on;
      } else if (head === 'end') {
        if (!frames.pop()) throw new Unsupported('{{end}} without {{if}}');
      } else if (active()) {
        // An index whose emptiness a `default` in the same action takes care of is no problem.
        const found: string[] = [];
        out = bounded(out + print(evaluate(tokens, params, missingKeyError, found)));
        if (!tokens.some((t) => t.t === 'ident' && t.name === 'default')) emptyIndex.push(...found);
      }
      i = next;
    }
    if (frames.length > 0) throw new Unsupported('{{if}} without {{end}}');
    return { value: out, emptyIndex };
  } catch (e) {
    if (e instanceof Missing) return { missing: e.message };
    if (e instanceof Unsupported) return { unsupported: e.message };
    // A string past what the engine holds (a join of many long pieces before its result is bounded).
    if (e instanceof RangeError) return { unsupported: `a template that renders more than ${MAX_RENDERED / 2 ** 20} MiB` };
    throw e;
  }
}

/** Go's truth (text/template isTrue): false, 0, nil and empty strings, lists and maps are false. */
function isTrue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Go's trimming of a `{{-` marker: spaces, tabs, carriage returns and newlines, in linear time. */
function trimEnd(text: string): string {
  let end = text.length;
  while (end > 0 && ' \t\r\n'.includes(text[end - 1])) end--;
  return text.slice(0, end);
}

function evaluate(tokens: Token[], params: Params, missingKeyError: boolean, emptyIndex: string[]): unknown {
  let pos = 0;
  const field = (tok: Extract<Token, { t: 'field' }>): unknown => {
    let v: unknown = params;
    for (const [n, key] of tok.path.entries()) {
      if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported(`${tok.text}: .${tok.path.slice(0, n).join('.')} is not a map`);
      if (!Object.hasOwn(v, key)) {
        if (missingKeyError) throw new Missing(`${tok.text}: map has no entry for key ${JSON.stringify(key)}`);
        return undefined;
      }
      v = (v as Params)[key];
    }
    return v;
  };
  const operand = (): unknown => {
    const tok = tokens[pos++];
    if (!tok) throw new Unsupported('an empty command');
    if (tok.t === 'field') return field(tok);
    if (tok.t === 'string' || tok.t === 'number' || tok.t === 'bool') return tok.value;
    if (tok.t === 'open') {
      const v = pipeline();
      if (tokens[pos++]?.t !== 'close') throw new Unsupported('an unclosed "("');
      return v;
    }
    if (tok.t === 'ident') {
      pos--;
      return command(undefined, false);
    }
    throw new Unsupported('a misplaced "|" or ")"');
  };
  const command = (piped: unknown, hasPiped: boolean): unknown => {
    const tok = tokens[pos];
    if (tok?.t === 'ident') {
      pos++;
      if (CONTROL.has(tok.name)) throw new Unsupported(`{{${tok.name}}}`);
      const args: unknown[] = [];
      // A function in an argument position without parentheses takes no arguments (Go's rule).
      while (pos < tokens.length && tokens[pos].t !== 'pipe' && tokens[pos].t !== 'close') args.push(tokens[pos].t === 'ident' ? (() => { throw new Unsupported('a function as an argument without parentheses'); })() : operand());
      if (hasPiped) args.push(piped);
      if (tok.name === 'index') {
        let v = args[0];
        for (const k of args.slice(1)) {
          if (Array.isArray(v) && typeof k === 'number') v = v[k];
          else if (v && typeof v === 'object' && !Array.isArray(v) && typeof k === 'string') {
            if (!Object.hasOwn(v, k)) {
              emptyIndex.push(String(k));
              return '';
            }
            v = (v as Params)[k];
          } else throw new Unsupported('index of something that is no map or list');
        }
        return v;
      }
      const fn = Object.hasOwn(FUNCTIONS, tok.name) ? FUNCTIONS[tok.name] : undefined;
      if (!fn) throw new Unsupported(`the function ${tok.name}`);
      const result = fn(args);
      return typeof result === 'string' ? bounded(result) : result;
    }
    if (hasPiped) throw new Unsupported('a pipe into something that is no function');
    const v = operand();
    if (pos < tokens.length && tokens[pos].t !== 'pipe' && tokens[pos].t !== 'close') throw new Unsupported('arguments to a value that is no function');
    return v;
  };
  const pipeline = (): unknown => {
    let v = command(undefined, false);
    while (tokens[pos]?.t === 'pipe') {
      pos++;
      v = command(v, true);
    }
    return v;
  };
  const v = pipeline();
  if (pos !== tokens.length) throw new Unsupported('an unexpected ")"');
  return v;
}
