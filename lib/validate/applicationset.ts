/**
 * What Argo CD ApplicationSets generate, offline: each cluster generator against the clusters registered
 * beside it (Argo CD cluster Secrets in the same build, plain, sealed or from an ExternalSecret: their
 * labels are plain text in all three), and its template rendered for each cluster it selects. The
 * template language is the subset of Go templates a cluster generator's parameters give:
 * `{{.name}}`, `{{.nameNormalized}}`, `{{.server}}`, `{{index .metadata.labels "key"}}` (and annotations);
 * with `missingkey=error`, as Argo CD, a label that is not there is an error.
 */
import type { FileSet } from '../fileset.js';
import { CLUSTER_LABEL } from '../secrets/specs.js';
import { get, objectKey, type BuildResult, type BuiltObject, type K8sObject } from './build.js';
import { error, warning, type Finding } from './findings.js';
import { applicationPaths, directoriesOf } from './structure.js';

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

const normalized = (name: string) => name.toLowerCase().replace(/[^a-z0-9.-]/g, '-');

/** Renders the Go template expressions of one string for a cluster, or says which one it cannot. */
function renderString(text: string, r: Registration): { value: string; problem?: string } {
  let problem: string | undefined;
  const value = text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (whole, expr: string) => {
    const params: Record<string, string | undefined> = { '.name': r.name, '.nameNormalized': normalized(r.name), '.server': r.server ?? `https://${r.name}.cluster.invalid` };
    if (expr in params) return params[expr]!;
    const index = /^index \.metadata\.(labels|annotations) "([^"]+)"$/.exec(expr) ?? /^\.metadata\.(labels|annotations)\.([A-Za-z0-9_]+)$/.exec(expr);
    if (index) {
      const v = (index[1] === 'labels' ? r.labels : r.annotations)[index[2]];
      if (v !== undefined) return v;
      problem ??= `${whole}: cluster ${r.name} has no ${index[1] === 'labels' ? 'label' : 'annotation'} ${index[2]} (${r.file})`;
      return whole;
    }
    problem ??= `${whole} is not a parameter of the cluster generator the validator knows (.name, .nameNormalized, .server, index .metadata.labels "key")`;
    return whole;
  });
  return { value, problem };
}

function renderTemplate(value: unknown, r: Registration, problems: string[]): unknown {
  if (typeof value === 'string') {
    const out = renderString(value, r);
    if (out.problem && !problems.includes(out.problem)) problems.push(out.problem);
    return out.value;
  }
  if (Array.isArray(value)) return value.map((v) => renderTemplate(v, r, problems));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplate(v, r, problems)]));
  return value;
}

export interface Expansion {
  /** cluster name → the Applications generated for it (origin: the ApplicationSet's file). */
  generated: Map<string, BuiltObject[]>;
  /** The AppProjects beside the ApplicationSets (on the hub): the generated Applications' projects. */
  projects: K8sObject[];
  findings: Finding[];
  notes: string[];
}

/**
 * Expands the ApplicationSets among what one cluster applies against the clusters registered there
 * (`ownRepos`: this repository's URLs). ApplicationSets that select clusters registered outside the
 * repository (no cluster Secret here) generate nothing offline: said once, as a note.
 */
export function expandApplicationSets(files: FileSet, objects: BuiltObject[], ownRepos: Set<string>, hub?: string): Expansion {
  const expansion: Expansion = { generated: new Map(), projects: [], findings: [], notes: [] };
  const directories = directoriesOf(files);
  const sets = objects.filter((b) => b.object.kind === 'ApplicationSet' && b.object.apiVersion?.startsWith('argoproj.io/'));
  let registrations = registrationsIn(objects);
  for (const b of objects) if (b.object.kind === 'AppProject' && !expansion.projects.includes(b.object)) expansion.projects.push(b.object);
  // Clusters registered outside the repository: the clusters are those whose directories the templates'
  // paths name (`…/overlays/{{.name}}`), selected by name alone (their labels are not known here).
  const inferred = registrations.length === 0;
  if (inferred) {
    // The hub deploys to itself through its own Applications, not through these sets.
    registrations = clustersNamedByPaths(sets.map((s) => s.object), directories).filter((name) => name !== hub).map((name) => ({ name, labels: {}, annotations: {}, file: '' }));
    if (sets.length > 0) {
      expansion.notes.push(
        registrations.length > 0
          ? `${sets.length} ApplicationSet(s) select clusters registered outside this repository: expanded for ${registrations.map((r) => r.name).join(', ')}, the clusters their paths name`
          : `${sets.length} ApplicationSet(s) (${sets[0].origin}${sets.length > 1 ? ', …' : ''}) generate Applications for clusters registered outside this repository: not expanded offline`,
      );
    }
  }
  const seen = new Set<string>();
  for (const { object: set, origin } of sets) {
    const id = `${origin}|${objectKey(set)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const spec = set.spec as { goTemplate?: boolean; generators?: Record<string, unknown>[]; template?: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } };
    const where = { object: objectKey(set) };
    if (!spec.goTemplate) {
      if (!inferred) expansion.findings.push(warning('reference', origin, 'uses fasttemplate (no goTemplate: true): its Applications are not expanded offline', where));
      continue;
    }
    const selected: Registration[] = [];
    for (const g of spec.generators ?? []) {
      const clusters = g.clusters as { selector?: Selector } | undefined;
      if (!clusters || Object.keys(g).some((k) => k !== 'clusters' && k !== 'selector')) {
        if (!inferred) expansion.findings.push(warning('reference', origin, `generator ${Object.keys(g).join(', ')} is not expanded offline (only the cluster generator is)`, where));
        continue;
      }
      for (const r of registrations) if ((inferred || selects(clusters.selector, r.labels)) && selects(g.selector as Selector | undefined, { name: r.name })) selected.push(r);
    }
    for (const r of selected) {
      const problems: string[] = [];
      const app = renderTemplate({ apiVersion: set.apiVersion, kind: 'Application', metadata: { namespace: set.metadata?.namespace, ...spec.template?.metadata }, spec: spec.template?.spec }, r, problems) as K8sObject;
      if (inferred && (problems.length > 0 || !namesOwnPath(app, files, directories))) continue; // not a cluster this set deploys to, as far as can be told
      for (const p of problems) expansion.findings.push(error('reference', origin, `for cluster ${r.name}: ${p}`, where));
      if (problems.length > 0) continue;
      expansion.findings.push(...applicationPaths(app, `${objectKey(set)} for cluster ${r.name}`, origin, files, directories, ownRepos));
      const list = expansion.generated.get(r.name) ?? [];
      list.push({ object: app, origin, patchedBy: [] });
      expansion.generated.set(r.name, list);
    }
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
      const re = new RegExp(`^${path.split(TEMPLATE).map((part, i) => (i % 2 === 1 ? '([a-z0-9][a-z0-9.-]*)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
      for (const dir of directories) {
        const m = re.exec(dir);
        if (m) names.add(m[1]);
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

