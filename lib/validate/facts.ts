/**
 * Checks that need to know what a chart renders, not only what the repository says: an Argo CD
 * Application whose chart writes into a namespace, or creates a cluster-scoped kind, that its AppProject
 * does not allow (Argo CD refuses the whole sync). The facts come from templates/chart-facts, gathered
 * from each chart's upstream templates at the pinned version (lib/chart-facts.ts).
 */
import { chartFacts, foreignNamespaces, type ChartFacts } from '../chart-facts.js';
import { objectKey, type K8sObject } from './build.js';
import { error, type Finding } from './findings.js';

/** Argo CD's glob for project fields (`*`, `prefix-*`, `!negation` not used here). */
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

interface ProjectSpec {
  destinations?: { server?: string; name?: string; namespace?: string }[];
  clusterResourceWhitelist?: { group?: string; kind?: string }[];
  clusterResourceBlacklist?: { group?: string; kind?: string }[];
}

export interface ChartSource {
  chart: string;
  version?: string;
  values: Record<string, unknown>;
  /** JSON pointer of the source in the Application. */
  path: string;
}

/** Findings for one Helm source of an Application, against its project. */
export function checkApplicationChart(file: string, app: K8sObject, source: ChartSource, project: K8sObject | undefined): Finding[] {
  const facts = chartFacts(source.chart, source.version);
  if (!facts || !project) return [];
  const spec = app.spec as { project?: string; destination?: { server?: string; name?: string; namespace?: string } };
  const dest = spec.destination ?? {};
  const p = (project.spec ?? {}) as ProjectSpec;
  const where = { object: objectKey(app), path: source.path };
  const findings: Finding[] = [];
  const name = project.metadata?.name;
  for (const f of foreignNamespaces(facts, source.values, dest.namespace ?? '')) {
    const allowed = (p.destinations ?? []).some((d) => (d.server ? glob(d.server, dest.server ?? '') : glob(d.name ?? '', dest.name ?? '')) && glob(d.namespace ?? '', f.effective));
    if (allowed) continue;
    const move = f.value ? `; set ${f.value} to ${dest.namespace}, or allow ${f.effective}` : `; allow ${f.effective} (no value moves them)`;
    findings.push(
      error('facts', file, `chart ${facts.chart} ${facts.version} writes ${f.kinds.join(', ')} into namespace ${f.effective} (${facts.source.path}/${f.source.replace(/^.*?templates\//, 'templates/')}), which project ${name} does not allow as a destination: Argo CD refuses the sync${move}`, where),
    );
  }
  findings.push(...clusterScopedFindings(facts, p, name, file, where));
  return findings;
}

function clusterScopedFindings(facts: ChartFacts, p: ProjectSpec, project: string | undefined, file: string, where: { object: string; path: string }): Finding[] {
  const allowed = (group: string, kind: string) =>
    (p.clusterResourceWhitelist ?? []).some((w) => glob(w.group ?? '', group) && glob(w.kind ?? '', kind)) &&
    !(p.clusterResourceBlacklist ?? []).some((b) => glob(b.group ?? '', group) && glob(b.kind ?? '', kind));
  // Only kinds rendered whatever the values (a condition is free text in the facts: not evaluated here).
  const refused = [...new Set(facts.clusterScopedKinds.filter((k) => (!k.condition || /^always/i.test(k.condition)) && !allowed(k.group, k.kind)).map((k) => (k.group ? `${k.kind}.${k.group}` : k.kind)))];
  if (refused.length === 0) return [];
  return [error('facts', file, `chart ${facts.chart} ${facts.version} creates cluster-scoped ${refused.join(', ')}, which project ${project} does not whitelist (clusterResourceWhitelist): Argo CD refuses the sync`, where)];
}
