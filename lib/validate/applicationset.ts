/**
 * What Argo CD ApplicationSets generate, offline, for the generators whose parameters the repository
 * holds: the cluster generator against the clusters registered beside it (Argo CD cluster Secrets in the
 * same build, plain, sealed or from an ExternalSecret: their labels are plain text in all three), the
 * list generator, the git directory and files generators over this repository, and matrix and merge
 * generators of these (applicationset/generators/{cluster,list,git,matrix,merge}.go). Each template string
 * is rendered as Argo CD renders it: Go templates with the functions gotemplate.ts knows, or
 * fasttemplate's `{{key}}`. A template the validator cannot render, and the other generators (SCM, pull
 * requests, plugins, cluster decision resources), are said and not expanded: never guessed.
 */
import { posix } from 'node:path';
import { parse as parseYaml, parseAllDocuments, type Document } from 'yaml';
import type { FileSet } from '../fileset.js';
import { CLUSTER_LABEL } from '../secrets/specs.js';
import { append, get, listOf, mergePatch, objectKey, own, setOwn, type BuildResult, type BuiltObject, type K8sObject } from './build.js';
import { error, warning, type Finding } from './findings.js';
import { gitPathspecMatch, goPathMatch, MatchBudgetExceeded } from './globs.js';
import { goNumber, renderGoTemplate, sanitizeName, type Params } from './gotemplate.js';
import { applicationPaths, directoriesOf, normalUrl } from './structure.js';

const SECRET_TYPE = 'argocd.argoproj.io/secret-type';

export interface Registration {
  name: string;
  /** Sealed or read from a store: not known offline. */
  server?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  file: string;
}

type Labels = Record<string, string>;

/** Argo CD cluster Secrets among built objects, by what they say in plain text. */
export function registrationsIn(objects: BuiltObject[]): Registration[] {
  const found: Registration[] = [];
  for (const { object: o, origin } of objects) {
    const meta =
      o.kind === 'Secret' ? o.metadata :
      o.kind === 'SealedSecret' ? (get(o, 'spec.template.metadata') as K8sObject['metadata']) :
      o.kind === 'ExternalSecret' ? (get(o, 'spec.target.template.metadata') as K8sObject['metadata']) :
      undefined;
    const labels = (meta?.labels ?? {}) as Labels;
    if (labels[SECRET_TYPE] !== 'cluster') continue;
    const plain = o.kind === 'Secret' ? { ...decoded(o.data), ...((o.stringData as Labels | undefined) ?? {}) } : o.kind === 'ExternalSecret' ? ((get(o, 'spec.target.template.data') as Labels | undefined) ?? {}) : {};
    const name = plain.name ?? labels[CLUSTER_LABEL];
    if (!name) continue;
    found.push({ name, server: o.kind === 'Secret' ? plain.server : undefined, labels, annotations: (meta?.annotations ?? {}) as Labels, file: origin });
  }
  return found;
}

function decoded(data: unknown): Labels {
  return Object.fromEntries(Object.entries((data as Labels | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]));
}

interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selects(selector: Selector | undefined, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key]) :
      e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key]) :
      e.operator === 'Exists' ? has :
      e.operator === 'DoesNotExist' ? !has :
      false;
    if (!ok) return false;
  }
  return true;
}

export interface Expansion {
  /** cluster name → the Applications generated for it (origin: the ApplicationSet's file). */
  generated: Map<string, BuiltObject[]>;
  /** Applications for the cluster Argo CD runs on (an in-cluster destination): walked with the set's own cluster. */
  local: BuiltObject[];
  /** The AppProjects beside the ApplicationSets (on the hub): the generated Applications' projects. */
  projects: K8sObject[];
  findings: Finding[];
  notes: string[];
}

/** One set of a generator's parameters: nested for Go templates, flat for fasttemplate; `cluster` when a cluster generator made it. */
interface ParamSet {
  /** The generator's own template, merged over the set's. */
  template?: Record<string, unknown>;
  nested: Params;
  flat: Record<string, string>;
  /** How a finding names it: `cluster edge-1`, `element 2`, `directory apps/web`. */
  label: string;
  cluster?: Registration;
}

export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** fasttemplate as Argo CD runs it: `{{ key }}` becomes the string parameter of that name; anything else stays as written. */
function fastRender(text: string, flat: Record<string, string>): { text: string; unresolved: boolean } {
  let out = '';
  let unresolved = false;
  let i = 0;
  for (;;) {
    const open = text.indexOf('{{', i);
    const close = open < 0 ? -1 : text.indexOf('}}', open + 2);
    if (close < 0) return { text: out + text.slice(i), unresolved };
    const tag = text.slice(open + 2, close).trim();
    const value = tag !== '' && Object.hasOwn(flat, tag) ? flat[tag] : undefined;
    if (value === undefined && tag !== '') unresolved = true;
    out += text.slice(i, open) + (value ?? text.slice(open, close + 2));
    i = close + 2;
  }
}

/** A template string the validator does not render (outside gotemplate.ts's subset): its Application is not expanded. */
class Unrendered extends Error {}

/** A generator's `values`, each string rendered with one parameter set (Go templates or fasttemplate); what does not render is left out. */
function renderValues(values: Record<string, unknown> | undefined, go: boolean, nested: Params, flat: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values ?? {})) {
    if (typeof v !== 'string') continue;
    const r = go ? renderGoTemplate(v, nested, { missingKeyError: false }) : { value: fastRender(v, flat).text };
    if ('value' in r) out[k] = r.value;
  }
  return out;
}

/**
 * The flat form of a map, as Argo CD's generators give fasttemplate (`values.key`). With `asGo` (the git
 * files generator: jeremywohl/flatten's DotStyle, then `%v`), lists too (`items.0`), and numbers and
 * nulls as Go prints them.
 */
function flatten(prefix: string, value: unknown, out: Record<string, string>, asGo = false): void {
  const key = (k: string | number) => (prefix ? `${prefix}.${k}` : String(k));
  if (Array.isArray(value)) {
    if (asGo) value.forEach((v, i) => flatten(key(i), v, out, asGo));
  } else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) flatten(key(k), v, out, asGo);
  else if (typeof value === 'string') out[prefix] = value;
  else if (typeof value === 'number') out[prefix] = asGo ? goNumber(value) : String(value);
  else if (typeof value === 'boolean') out[prefix] = String(value);
  else if (value === null && asGo) out[prefix] = '<nil>';
}

/** Steps one git files generator's matching may take: far more than real patterns need over a large repository (a few per path character). */
const MAX_MATCH_STEPS = 2e8;

/** Applications one ApplicationSet is expanded into, at most (a fleet of 342 clusters makes 342 per set). */
const MAX_GENERATED = 10_000;

/** A generator the validator does not expand offline (SCM, pull requests, plugins, …): said as a warning. */
class NotExpanded extends Error {}
/** A generator Argo CD refuses (a matrix of three, a merge without keys, a file it cannot parse): an error. */
class Refused extends Error {}

interface GeneratorContext {
  name: string;
  origin: string;
  go: boolean;
  /** goTemplateOptions has `missingkey=error`. */
  missingKeyError: boolean;
  registrations: Registration[];
  inferred: boolean;
  files: FileSet;
  directories: Set<string>;
  ownRepos: Set<string>;
  notes: string[];
}

/** The one generator a (nested) generator entry holds: its only key besides `selector` and `values`. */
const generatorKind = (g: Record<string, unknown> | undefined) => Object.keys(g ?? {}).find((k) => k !== 'selector' && k !== 'values');

/** Nested matrix and merge generators: Argo CD's CRD allows two levels; more is refused here, in bounded time. */
const MAX_NESTING = 3;

/** Whether a generator entry is, or combines, a cluster generator. */
function usesClusters(g: Record<string, unknown> | undefined, depth: number): boolean {
  const kind = generatorKind(g);
  if (kind === 'clusters') return true;
  if ((kind !== 'matrix' && kind !== 'merge') || depth >= MAX_NESTING) return false;
  return listOf<Record<string, unknown>>((g![kind] as Combined | undefined)?.generators).some((c) => usesClusters(c, depth + 1));
}

/**
 * The parameter sets one generator entry makes, as applicationset/generators makes them: its selector
 * applied to each set's flat parameters (generator_spec_processor.go Transform).
 */
function generate(g: Record<string, unknown>, context: GeneratorContext, depth: number): ParamSet[] {
  const kind = generatorKind(g);
  const made =
    kind === 'clusters' ? clusterParams(g.clusters as ClusterGenerator | undefined, context) :
    kind === 'list' ? listParams(g.list as ListGenerator | undefined, context) :
    kind === 'git' ? gitParams(g.git as GitGenerator | undefined, context) :
    kind === 'matrix' || kind === 'merge' ? combinedParams(kind, g[kind] as Combined | undefined, context, depth) :
    undefined;
  if (!made) throw new NotExpanded(`generator ${kind ?? '(none)'} is not expanded offline (the cluster, list, git, matrix and merge generators are)`);
  return made.filter((p) => selects(g.selector as Selector | undefined, p.flat));
}

type ClusterGenerator = { selector?: Selector; values?: Record<string, string> };
type ListGenerator = { elements?: unknown[]; elementsYaml?: string };
type GitGenerator = { repoURL?: string; directories?: { path?: string; exclude?: boolean }[]; files?: { path?: string; exclude?: boolean }[]; pathParamPrefix?: string; values?: Record<string, unknown> };
type Combined = { generators?: Record<string, unknown>[]; mergeKeys?: string[] };

function clusterParams(clusters: ClusterGenerator | undefined, { registrations, inferred, go }: GeneratorContext): ParamSet[] {
  const made: ParamSet[] = [];
  for (const r of registrations) {
    if (!inferred && !selects(clusters?.selector, r.labels)) continue;
    const base = { name: r.name, nameNormalized: sanitizeName(r.name), server: r.server ?? `https://${r.name}.cluster.invalid`, project: '', metadata: { labels: r.labels, annotations: r.annotations } };
    const baseFlat: Record<string, string> = { name: base.name, nameNormalized: base.nameNormalized, server: base.server, project: '' };
    flatten('metadata.labels', r.labels, baseFlat);
    flatten('metadata.annotations', r.annotations, baseFlat);
    // Its values are rendered with the cluster's parameters first (cluster.go).
    const values = renderValues(clusters?.values, go, base, baseFlat);
    const flat = { ...baseFlat };
    flatten('values', values, flat);
    made.push({ nested: { ...base, values }, flat, label: `cluster ${r.name}`, cluster: r });
  }
  return made;
}

function listParams(list: ListGenerator | undefined, { origin, name, notes }: GeneratorContext): ParamSet[] {
  if (list?.elementsYaml !== undefined) notes.push(`${origin}: ApplicationSet ${name}'s list generator reads elementsYaml, which is not expanded offline`);
  const made: ParamSet[] = [];
  for (const [i, element] of listOf<unknown>(list?.elements).entries()) {
    if (!element || typeof element !== 'object' || Array.isArray(element)) continue;
    const flat: Record<string, string> = {};
    flatten('', element, flat);
    made.push({ nested: element as Params, flat, label: `element ${i + 1}` });
  }
  return made;
}

function gitParams(git: GitGenerator | undefined, context: GeneratorContext): ParamSet[] {
  const { origin, name, notes, ownRepos, directories, files, go } = context;
  // This repository: a URL it is known by; or, where none is known (no self-managing root, no git
  // remote), a generator whose directories or files are here, said in a note.
  const budget = { left: MAX_MATCH_STEPS };
  const here = (path: string) => {
    try {
      return git?.files !== undefined ? files.paths().some((f) => gitPathspecMatch(path, f, budget)) : [...directories].some((dir) => goPathMatch(path, dir));
    } catch (e) {
      if (e instanceof MatchBudgetExceeded) return false;
      throw e;
    }
  };
  const items = listOf<{ path?: string; exclude?: boolean }>(git?.files ?? git?.directories).filter((d) => typeof d?.path === 'string') as { path: string; exclude?: boolean }[];
  const assumed = typeof git?.repoURL === 'string' && ownRepos.size === 0 && items.some((d) => !d.exclude && here(d.path));
  if (assumed) notes.push(`${origin}: ApplicationSet ${name}'s git generator reads ${git!.repoURL}, taken to be this repository (its ${git!.files !== undefined ? 'files' : 'directories'} are here; the repository's own URL is not known)`);
  if (typeof git?.repoURL !== 'string' || (!ownRepos.has(normalUrl(git.repoURL)) && !assumed)) {
    notes.push(`${origin}: ApplicationSet ${name}'s git generator reads ${git?.repoURL ?? 'a repository'}, which is not this repository: not expanded offline`);
    return [];
  }
  const made = git.files !== undefined ? gitFileParams(items, git.pathParamPrefix, files) : gitDirectoryParams(items, git.pathParamPrefix, directories);
  // A generator's `values` are rendered with each parameter set and added as `values` (appendTemplatedValues).
  if (git.values && typeof git.values === 'object') {
    for (const p of made) {
      const rendered = renderValues(git.values, go, p.nested, p.flat);
      p.nested = { ...p.nested, values: rendered };
      flatten('values', rendered, p.flat);
    }
  }
  return made;
}

function gitDirectoryParams(items: { path: string; exclude?: boolean }[], pathParamPrefix: string | undefined, directories: Set<string>): ParamSet[] {
  const made: ParamSet[] = [];
  const prefix = pathParamPrefix ? `${pathParamPrefix}.` : '';
  // The repo-server lists no hidden directory, nor anything below one (reposerver GetGitDirectories).
  for (const dir of [...directories].filter((d) => d !== '' && !d.split('/').some((seg) => seg.startsWith('.'))).sort()) {
    const matches = items.filter((d) => goPathMatch(d.path, dir));
    if (!matches.some((d) => !d.exclude) || matches.some((d) => d.exclude)) continue;
    const segments = dir.split('/');
    const path = { path: dir, basename: segments.at(-1)!, basenameNormalized: sanitizeName(segments.at(-1)!), segments };
    const flat: Record<string, string> = { [`${prefix}path`]: dir, [`${prefix}path.basename`]: path.basename, [`${prefix}path.basenameNormalized`]: path.basenameNormalized };
    segments.forEach((v, k) => (flat[`${prefix}path[${k}]`] = v));
    made.push({ nested: pathParamPrefix ? { [pathParamPrefix]: { path } } : { path }, flat, label: `directory ${dir}` });
  }
  return made;
}

/**
 * The git files generator (git.go generateParamsForGitFiles): the files `git ls-files -- <path>` lists for
 * each included path (Argo CD's default globbing: git pathspecs, where `*` also matches `/`), less the
 * excluded ones, in path order; each holds one object or a list of them, each object one parameter set.
 */
function gitFileParams(items: { path: string; exclude?: boolean }[], pathParamPrefix: string | undefined, files: FileSet): ParamSet[] {
  const made: ParamSet[] = [];
  const prefix = pathParamPrefix ? `${pathParamPrefix}.` : '';
  const budget = { left: MAX_MATCH_STEPS };
  let included: string[];
  try {
    included = files.paths().filter((f) => items.some((i) => !i.exclude && gitPathspecMatch(i.path, f, budget)) && !items.some((i) => i.exclude && gitPathspecMatch(i.path, f, budget))).sort();
  } catch (e) {
    if (!(e instanceof MatchBudgetExceeded)) throw e;
    throw new NotExpanded(`git files generator: its patterns over this repository's paths take more than ${MAX_MATCH_STEPS.toExponential(0)} steps to match, more than the validator does offline`);
  }
  for (const file of included) {
    // sigs.k8s.io/yaml reads the first document of a file.
    const [doc] = parseAllDocuments(files.get(file) ?? '', { logLevel: 'error' }) as Document[];
    if (doc && doc.errors.length > 0) throw new Refused(`git files generator: ${file} is not YAML or JSON (${doc.errors[0].message.split('\n')[0]})`);
    let content: unknown;
    try {
      content = doc?.toJS({ maxAliasCount: 100 }) ?? {};
    } catch (e) {
      throw new Refused(`git files generator: ${file} is not YAML or JSON (${(e as Error).message.split('\n')[0]})`);
    }
    const objects = Array.isArray(content) ? content : [content];
    if (objects.some((o) => !o || typeof o !== 'object' || Array.isArray(o))) throw new Refused(`git files generator: ${file} holds neither an object nor a list of objects`);
    const dir = posix.dirname(file);
    const filename = posix.basename(file);
    const path = { path: dir, basename: posix.basename(dir), filename, basenameNormalized: sanitizeName(posix.basename(dir)), filenameNormalized: sanitizeName(filename), segments: dir.split('/') };
    for (const [i, object] of (objects as Record<string, unknown>[]).entries()) {
      const flat: Record<string, string> = {};
      flatten('', object, flat, true);
      Object.assign(flat, { [`${prefix}path`]: dir, [`${prefix}path.basename`]: path.basename, [`${prefix}path.filename`]: filename, [`${prefix}path.basenameNormalized`]: path.basenameNormalized, [`${prefix}path.filenameNormalized`]: path.filenameNormalized });
      path.segments.forEach((v, k) => v !== '' && (flat[`${prefix}path[${k}]`] = v));
      made.push({ nested: { ...object, ...(pathParamPrefix ? { [pathParamPrefix]: { path } } : { path }) }, flat, label: `${file}${objects.length > 1 ? ` item ${i + 1}` : ''}` });
    }
  }
  return made;
}

/**
 * The matrix generator (matrix.go): exactly two generators, the second's strings rendered with each of
 * the first's parameter sets, every pair combined (Go templates: merged, the first's winning; else flat
 * maps that must agree). The merge generator (merge.go): the first generator's sets, each overridden by
 * the sets of the others with the same values of the merge keys. Nested generators' own templates are
 * not used (Argo CD takes only their parameters).
 */
function combinedParams(kind: 'matrix' | 'merge', combined: Combined | undefined, context: GeneratorContext, depth: number): ParamSet[] {
  if (depth >= MAX_NESTING) throw new NotExpanded(`${kind} generators nested more than ${MAX_NESTING} deep are not expanded offline`);
  const children = listOf<Record<string, unknown>>(combined?.generators);
  if (kind === 'matrix') {
    if (children.length !== 2) throw new Refused(`matrix generator has ${children.length} generators: Argo CD takes exactly two`);
    const out: ParamSet[] = [];
    for (const a of generate(children[0], context, depth + 1)) {
      for (const b of generate(interpolate(children[1], a, context.go, context.missingKeyError), context, depth + 1)) {
        if (!context.go) {
          const clash = Object.keys(b.flat).find((k) => Object.hasOwn(a.flat, k) && a.flat[k] !== b.flat[k]);
          if (clash !== undefined) throw new Refused(`matrix generator: both generators set the parameter ${clash} (${a.label}: "${a.flat[clash]}", ${b.label}: "${b.flat[clash]}")`);
        }
        if (out.length >= MAX_GENERATED) throw new NotExpanded(`matrix generator makes more than ${MAX_GENERATED.toLocaleString('en')} parameter sets, which are not expanded offline`);
        out.push({ nested: deepMerge(b.nested, a.nested), flat: { ...b.flat, ...a.flat }, label: `${a.label}, ${b.label}`, cluster: a.cluster ?? b.cluster });
      }
    }
    return out;
  }
  if (children.length < 2) throw new Refused(`merge generator has ${children.length} generator(s): Argo CD needs at least two`);
  const keys = [...new Set(listOf<string>(combined?.mergeKeys).filter((k) => typeof k === 'string'))];
  if (keys.length === 0) throw new Refused('merge generator has no mergeKeys');
  const keyOf = (p: ParamSet) => JSON.stringify(keys.map((k) => (context.go ? (p.nested[k] ?? null) : (p.flat[k] ?? null))));
  const byKey = (sets: ParamSet[]) => {
    const map = new Map<string, ParamSet>();
    for (const p of sets) {
      const key = keyOf(p);
      if (map.has(key)) throw new Refused(`merge generator: two parameter sets of one generator have the same merge keys ${key}`);
      map.set(key, p);
    }
    return map;
  };
  const base = byKey(generate(children[0], context, depth + 1));
  for (const child of children.slice(1)) {
    for (const [key, override] of byKey(generate(child, context, depth + 1))) {
      const p = base.get(key);
      if (p) base.set(key, { ...p, nested: context.go ? deepMerge(p.nested, override.nested) : p.nested, flat: { ...p.flat, ...override.flat }, label: `${p.label} + ${override.label}` });
    }
  }
  return [...base.values()];
}

/**
 * The second matrix generator with the first's parameters in its strings (utils RenderGeneratorParams):
 * with the set's goTemplateOptions (a missing key is an error only with `missingkey=error`, else `<no
 * value>`); in `values`, a string with a missing key is kept as written.
 */
function interpolate(generator: Record<string, unknown>, p: ParamSet, go: boolean, missingKeyError: boolean): Record<string, unknown> {
  const walk = (value: unknown, inValues: boolean): unknown => {
    if (typeof value === 'string') {
      if (!go) return fastRender(value, p.flat).text;
      const out = renderGoTemplate(value, p.nested, { missingKeyError: inValues || missingKeyError });
      if ('unsupported' in out) throw new NotExpanded(`matrix generator: the second generator uses ${out.unsupported}, which the validator does not render`);
      if ('missing' in out) {
        if (inValues) return value;
        throw new Refused(`matrix generator: ${value} in the second generator, for ${p.label}: ${out.missing}`);
      }
      if ('invalid' in out) throw new Refused(`matrix generator: ${value} in the second generator: ${out.invalid}`);
      return out.value;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, inValues));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, inValues || k === 'values')]));
    return value;
  };
  return walk(generator, false) as Record<string, unknown>;
}

/** mergo.Merge with WithOverride: maps merged key by key, everything else taken from `over`. */
function deepMerge(under: Params, over: Params): Params {
  const out: Params = { ...under };
  for (const [k, v] of Object.entries(over)) {
    const u = own(out, k);
    setOwn(out, k, u && v && typeof u === 'object' && typeof v === 'object' && !Array.isArray(u) && !Array.isArray(v) ? deepMerge(u as Params, v as Params) : v);
  }
  return out;
}


/**
 * Expands the ApplicationSets among what one cluster applies (`ownRepos`: this repository's URLs; `hub`:
 * that cluster's name). Cluster generators that select clusters registered outside the repository (no
 * cluster Secret here) are expanded for the clusters their templated paths name, or said once, as a note.
 */
export function expandApplicationSets(files: FileSet, objects: BuiltObject[], ownRepos: Set<string>, hub?: string): Expansion {
  const expansion: Expansion = { generated: new Map(), local: [], projects: [], findings: [], notes: [] };
  const directories = directoriesOf(files);
  const sets = objects.filter((b) => b.object.kind === 'ApplicationSet' && b.object.apiVersion?.startsWith('argoproj.io/'));
  let registrations = registrationsIn(objects);
  for (const b of objects) if (b.object.kind === 'AppProject' && !expansion.projects.includes(b.object)) expansion.projects.push(b.object);
  const clusterSets = sets.filter((s) => listOf<Record<string, unknown>>(s.object.spec?.generators).some((g) => usesClusters(g, 0)));
  // Clusters registered outside the repository: the clusters are those whose directories the templates'
  // paths name (`…/overlays/{{.name}}`), selected by name alone (their labels are not known here).
  const inferred = registrations.length === 0;
  if (inferred) {
    // The hub deploys to itself through its own Applications, not through these sets.
    registrations = clustersNamedByPaths(clusterSets.map((s) => s.object), directories).filter((name) => name !== hub).map((name) => ({ name, labels: {}, annotations: {}, file: '' }));
    if (clusterSets.length > 0) {
      expansion.notes.push(
        registrations.length > 0
          ? `${clusterSets.length} ApplicationSet(s) select clusters registered outside this repository: expanded for ${registrations.map((r) => r.name).join(', ')}, the clusters their paths name`
          : `${clusterSets.length} ApplicationSet(s) (${clusterSets[0].origin}${clusterSets.length > 1 ? ', …' : ''}) generate Applications for clusters registered outside this repository: not expanded offline`,
      );
    }
  }
  const seen = new Set<string>();
  for (const { object: set, origin } of sets) {
    const id = `${origin}|${objectKey(set)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const spec = set.spec as { goTemplate?: boolean; goTemplateOptions?: string[]; generators?: Record<string, unknown>[]; template?: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } };
    const where = { object: objectKey(set) };
    const go = spec.goTemplate === true;
    const missingKeyError = listOf<string>(spec.goTemplateOptions).includes('missingkey=error');
    const context: GeneratorContext = { name: String(set.metadata?.name), origin, go, missingKeyError, registrations, inferred, files, directories, ownRepos, notes: expansion.notes };
    const paramSets: ParamSet[] = [];
    for (const g of listOf<Record<string, unknown>>(spec.generators)) {
      try {
        const made = generate(g, context, 0);
        // A top-level generator's own template is merged over the set's (applicationset/utils mergeGeneratorTemplate).
        const own = (g[generatorKind(g) ?? ''] as { template?: Record<string, unknown> } | undefined)?.template;
        for (const p of made) if (own && typeof own === 'object') p.template = own;
        append(paramSets, made);
      } catch (e) {
        if (e instanceof NotExpanded) expansion.findings.push(warning('reference', origin, `${e.message}: its Applications are not checked`, where));
        else if (!(e instanceof Refused)) throw e;
        else {
          // One generator's error stops the whole set (applicationset controller: no Application is generated or updated).
          expansion.findings.push(error('reference', origin, `${e.message}: Argo CD generates no Application from this ApplicationSet`, where));
          paramSets.length = 0;
          break;
        }
      }
    }
    if (paramSets.length > MAX_GENERATED) {
      expansion.findings.push(warning('reference', origin, `generates ${paramSets.length} Applications: the first ${MAX_GENERATED.toLocaleString('en')} are checked`, where));
      paramSets.length = MAX_GENERATED;
    }
    let unsupported: string | undefined;
    let patchUnsupported: string | undefined;
    for (const p of paramSets) {
      const problems: string[] = [];
      let unresolvedTags = false;
      const render = (value: unknown): unknown => {
        if (typeof value === 'string') {
          // fasttemplate leaves a tag with no parameter as written (Argo CD's Render.Replace): no error of its own.
          if (!go) {
            const out = fastRender(value, p.flat);
            if (out.unresolved) unresolvedTags = true;
            return out.text;
          }
          const out = renderGoTemplate(value, p.nested, { missingKeyError });
          if ('unsupported' in out) throw new Unrendered(out.unsupported);
          if ('missing' in out || 'invalid' in out) {
            problems.push(`${value}: ${'missing' in out ? out.missing : out.invalid}`);
            return value;
          }
          for (const key of out.emptyIndex) {
            problems.push(`${value}: index ${JSON.stringify(key)} renders an empty string: ${p.cluster ? `cluster ${p.cluster.name} has no label or annotation ${key}${p.cluster.file ? ` (${p.cluster.file})` : ''}` : `${p.label} has no ${key}`}`);
          }
          return out.value;
        }
        if (Array.isArray(value)) return value.map(render);
        if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]));
        return value;
      };
      let app: K8sObject;
      try {
        const template = (p.template ? mergePatch(spec.template ?? {}, p.template) : spec.template ?? {}) as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
        app = render({ apiVersion: set.apiVersion, kind: 'Application', metadata: { namespace: set.metadata?.namespace, ...template.metadata }, spec: template.spec }) as K8sObject;
        // templatePatch: rendered with the same parameters, read as YAML and merged over the rendered Application
        // (argo-cd applicationset/controllers/template: renderTemplatePatch, applyTemplatePatch with
        // StrategicMergePatch over the Application type, whose fields declare no merge keys: maps merge, lists
        // and scalars are replaced, null removes).
        const patchText = (set.spec as { templatePatch?: unknown }).templatePatch;
        if (typeof patchText === 'string' && problems.length === 0) {
          let rendered: unknown;
          try {
            rendered = render(patchText);
          } catch (e) {
            // A patch the validator cannot render: the Applications are checked without it (said once), not dropped.
            if (!(e instanceof Unrendered)) throw e;
            patchUnsupported ??= e.message;
          }
          let patch: unknown;
          try {
            patch = problems.length === 0 && rendered !== undefined ? parseYaml(String(rendered), { maxAliasCount: 100 }) : undefined;
          } catch (e) {
            problems.push(`templatePatch does not read as YAML once rendered: ${(e as Error).message.split('\n')[0]}`);
          }
          if (patch !== undefined && patch !== null && (typeof patch !== 'object' || Array.isArray(patch))) problems.push('templatePatch is not a map once rendered');
          else if (patch) app = mergePatch(app, patch) as K8sObject;
        }
      } catch (e) {
        if (!(e instanceof Unrendered)) throw e;
        unsupported ??= e.message;
        continue;
      }
      if (p.cluster && inferred && (problems.length > 0 || unresolvedTags || !namesOwnPath(app, files, directories))) continue; // not a cluster this set deploys to, as far as can be told
      for (const problem of problems) expansion.findings.push(error('reference', origin, `for ${p.label}: ${problem}`, where));
      if (problems.length > 0) continue;
      expansion.findings.push(...applicationPaths(app, `${objectKey(set)} for ${p.label}`, origin, files, directories, ownRepos));
      const built: BuiltObject = { object: app, origin, patchedBy: [] };
      const destination = (app.spec?.destination ?? {}) as { name?: unknown; server?: unknown };
      // The cluster Argo CD runs on (a registration of it included): walked with the set's own cluster.
      const inCluster = p.cluster ? p.cluster.server === IN_CLUSTER_SERVER : destination.name === 'in-cluster' || destination.server === IN_CLUSTER_SERVER || (destination.name === undefined && destination.server === undefined);
      const target = inCluster ? undefined : (p.cluster?.name ?? String(destination.name ?? destination.server));
      if (target === undefined) expansion.local.push(built);
      else expansion.generated.set(target, [...(expansion.generated.get(target) ?? []), built]);
    }
    if (unsupported) expansion.notes.push(`${origin}: ApplicationSet ${set.metadata?.name}'s template uses ${unsupported}, which the validator does not render: those Applications are not checked`);
    if (patchUnsupported) expansion.findings.push(warning('reference', origin, `ApplicationSet ${set.metadata?.name}'s templatePatch uses ${patchUnsupported}, which the validator does not render: its Applications are checked without the patch`, where));
  }
  return expansion;
}

const TEMPLATE = /\{\{-?\s*\.?(name|nameNormalized)\s*-?\}\}/g;

/** Cluster names the ApplicationSets' templated source paths name among the repository's directories. */
function clustersNamedByPaths(sets: K8sObject[], directories: Set<string>): string[] {
  const names = new Set<string>();
  for (const set of sets) {
    const sources = [get(set, 'spec.template.spec.source'), ...((get(set, 'spec.template.spec.sources') as unknown[] | undefined) ?? [])] as ({ path?: string } | undefined)[];
    for (const s of sources) {
      const path = s?.path?.replace(/^\.\//, '').replace(/\/$/, '');
      if (!path || !path.includes('{{') || path.replace(TEMPLATE, '').includes('{{')) continue;
      // The literal parts around the one name the template puts in (one name, same everywhere): compared as text, no regex.
      const parts = path.split(TEMPLATE).filter((_p, i) => i % 2 === 0);
      if (parts.length !== 2) continue;
      const [before, after] = parts;
      for (const dir of directories) {
        if (dir.length <= before.length + after.length || !dir.startsWith(before) || !dir.endsWith(after)) continue;
        const name = dir.slice(before.length, dir.length - after.length);
        if (/^[a-z0-9][a-z0-9.-]*$/.test(name)) names.add(name);
      }
    }
  }
  return [...names].sort();
}

/** Whether a generated Application's paths and value files all exist in the repository (a cluster the set has files for). */
function namesOwnPath(app: K8sObject, files: FileSet, directories: Set<string>): boolean {
  type Source = { path?: string; chart?: string; helm?: { valueFiles?: string[] } };
  const spec = app.spec as { source?: Source; sources?: Source[] } | undefined;
  const sources = [...(spec?.sources ?? []), ...(spec?.source ? [spec.source] : [])];
  const paths = sources.filter((s) => s.path && !s.chart).map((s) => s.path!.replace(/^\.\//, '').replace(/\/$/, ''));
  const values = sources.flatMap((s) => s.helm?.valueFiles ?? []).filter((v) => v.startsWith('$values/')).map((v) => v.slice('$values/'.length));
  return paths.every((p) => directories.has(p)) && values.every((v) => files.has(v));
}

