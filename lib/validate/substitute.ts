/**
 * Flux post-build variable substitution (Kustomization spec.postBuild), as kustomize-controller does it:
 * after the build, each object's YAML is run through envsubst with the variables of substituteFrom
 * (ConfigMaps, in order) and then substitute (inline, which wins); Secrets too (after SOPS decryption),
 * unless an object opts out. The validator checks what a cluster really receives: the substituted objects.
 * Semantics from fluxcd/pkg (envsubst, kustomize/kustomize_varsub.go) and kustomize-controller.
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
  /** `${` expressions Flux cannot parse (it fails the whole build with "missing closing brace"). */
  unparsable: string[];
}

/**
 * `${name}` and the forms with a default: `${name:=d}`, `${name=d}`, `${name:-d}` (the default when unset
 * or empty, and itself substituted: `${CLAIM:-${APP}}`, as fluxcd/pkg envsubst evaluates nested defaults).
 */
const EXPRESSION_HEAD = /^\{([_a-zA-Z][_a-zA-Z0-9]*)(:=|=|:-|\})/;

/** Where the `}` closing an expression's default is, `${…}` inside it nested; -1 when there is none. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let c = from; c < text.length; c++) {
    if (text[c] === '$' && text[c + 1] === '{') {
      depth++;
      c++;
    } else if (text[c] === '}') {
      if (depth === 0) return c;
      depth--;
    }
  }
  return -1;
}
/** Defaults nested deeper than this are not evaluated (real ones nest one or two deep). */
const MAX_NESTING = 16;

/** The other operators fluxcd/pkg/envsubst knows (length, case, substrings, replacement): passed over, not evaluated. */
const OTHER_OPERATOR = /^\{#?[_a-zA-Z][_a-zA-Z0-9]*(?:[\^,]{1,2}|[#%/:=][^}]*)?\}/;

/**
 * envsubst as fluxcd/pkg does it over an object's YAML: `$$` is a literal `$` (so `$${x}` is `${x}`),
 * a `$` before anything else stays, `${name}` is the variable (empty, or an error in strict mode, when
 * unset), and an expression that is not a variable name (`${a.b}`, `${a-b}`) breaks the build.
 */
export function substitute(text: string, vars: ReadonlyMap<string, string>, depth = 0, keepUnset = false): Substitution {
  const missing = new Set<string>();
  const unparsable = new Set<string>();
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
    const window = text.slice(at + 1, at + 1 + 4096);
    const rest = window.includes('\n') ? window.slice(0, window.indexOf('\n')) : window;
    const head = EXPRESSION_HEAD.exec(rest);
    const close = head ? (head[2] === '}' ? head[0].length - 1 : closingBrace(rest, head[0].length)) : -1;
    if (head && close >= 0) {
      const [, name, op] = head;
      const value = vars.get(name);
      if (op !== '}' && !value && depth >= MAX_NESTING) {
        // Defaults nested deeper than any real one (a merge request's): not evaluated, in bounded time.
        unparsable.add(`$${rest.slice(0, Math.min(close + 1, 80))}${close + 1 > 80 ? '…' : ''}`);
        out += `$${rest.slice(0, close + 1)}`;
      } else if (op !== '}' && !value) {
        // The default, substituted in turn (what it lacks counts only where it is used).
        const inner = substitute(rest.slice(head[0].length, close), vars, depth + 1, keepUnset);
        out += inner.text;
        for (const n of inner.missing) missing.add(n);
        for (const u of inner.unparsable) unparsable.add(u);
      } else if (value === undefined) {
        missing.add(name);
        // Its value may come from a source not in the repository (a Secret): unknown, so left as written.
        if (keepUnset) out += `$${rest.slice(0, close + 1)}`;
      } else out += value;
      i = at + 1 + close + 1;
      continue;
    }
    const other = OTHER_OPERATOR.exec(rest);
    const end = rest.indexOf('}');
    const expression = `$${end < 0 ? rest.split('\n')[0] : rest.slice(0, end + 1)}`;
    if (!other) unparsable.add(expression);
    out += expression;
    i = at + expression.length;
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
 * sources not in the repository (Secrets; optional ConfigMaps it does not hold), whose variables cannot be known.
 */
export function kustomizationVariables(
  kustomization: K8sObject,
  configMaps: (namespace: string, name: string) => Record<string, string> | undefined,
  located: (namespace: string, name: string) => string | undefined = () => undefined,
): { vars: Map<string, string>; problems: string[]; unknown: string[] } {
  const postBuild = (kustomization.spec?.postBuild ?? {}) as { substitute?: Record<string, string>; substituteFrom?: SubstituteFrom[] };
  const vars = new Map<string, string>();
  const problems: string[] = [];
  const unknown: string[] = [];
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
      if (file) problems.push(`substituteFrom ConfigMap ${ns}/${from.name} (${file}) is not applied before this Kustomization, and kustomize-controller reads it from the cluster before it applies anything: it stops with "not found" until the ConfigMap is there (apply it first: by hand in a documented step, or from a Kustomization this one dependsOn)`);
      else if (!from.optional) problems.push(`substituteFrom ConfigMap ${ns}/${from.name} is not in the repository: Flux stops with "not found"`);
      else unknown.push(`ConfigMap ${ns}/${from.name} (optional)`);
      continue;
    }
    for (const [k, v] of Object.entries(data)) vars.set(k, String(v).replaceAll('\n', ''));
  }
  // Newlines are taken out of every value (kustomize_varsub.go LoadVariables): a value is one line.
  for (const [k, v] of Object.entries(postBuild.substitute ?? {})) vars.set(k, String(v).replaceAll('\n', ''));
  for (const k of vars.keys()) if (!VARIABLE_NAME.test(k)) problems.push(`variable ${JSON.stringify(k)} is not a valid name (letters, digits and _; not starting with a digit)`);
  return { vars, problems, unknown };
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
