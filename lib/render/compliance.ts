/**
 * The Haven compliance map: for each check of the Haven Compliancy Checker and each cluster, what
 * covers it — components in this repository, the provider (a ReadWriteMany class; the control plane of a
 * managed service), or the cluster
 * operator (with what to do on that provider) — and which platform checks are still open.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG_YAML } from '../catalog.js';
import type { FileSet } from '../fileset.js';
import { abbreviate } from '../names.js';
import { TEMPLATES_DIR } from '../package-info.js';
import { parseYaml } from '../prebuilt.js';
import { backendOf, type Plan, type PlannedCluster } from '../plan.js';
import { renderTemplate } from './template.js';

export interface HavenCheck {
  id: string;
  category: string;
  title: string;
  /** A generated platform can satisfy it with components. */
  platform: boolean;
  /** What the cluster operator does (checks the platform cannot satisfy). */
  operator?: string;
  /** The same, on a managed Kubernetes service. */
  managed?: string;
  /** On a managed service, the provider covers it (it runs the control plane). */
  byProvider?: boolean;
  /** How to cover a platform check the chosen components do not cover. */
  hint?: string;
}

export type Coverage = 'repository' | 'provider' | 'operator' | 'open';

export interface CheckStatus {
  check: HavenCheck;
  coverage: Coverage;
  detail: string;
  /** Components of this repository covering it on the cluster (coverage 'repository'). */
  components: string[];
}

let checks: HavenCheck[] | undefined;
export function loadHavenChecks(): HavenCheck[] {
  checks ??= (parseYaml(readFileSync(join(TEMPLATES_DIR, 'haven-checks.yaml'), 'utf8'), CATALOG_YAML) as HavenCheck[]).map((c) => ({ ...c, platform: c.platform === true }));
  return checks;
}

/** How each Haven check is covered on one cluster. */
export function clusterCompliance(plan: Plan, cluster: PlannedCluster): CheckStatus[] {
  return loadHavenChecks().map((check) => {
    if (!check.platform) {
      const detail = (cluster.provider.managed && check.managed) || check.operator || '';
      return { check, coverage: cluster.provider.managed && check.byProvider ? 'provider' : 'operator', detail, components: [] };
    }
    // A service whose backend here is the provider's (nothing deployed) does not count as this repository.
    const deployed = plan.components.filter((c) => cluster.components.includes(c.def.id) && (!c.def.backends || backendOf(c.def, cluster, plan.answers)));
    const components = deployed.filter((c) => c.def.havenChecks.includes(check.id)).map((c) => c.def.title);
    if (components.length > 0) return { check, coverage: 'repository', detail: components.join(', '), components };
    if (check.id === 'rwx-volumes' && cluster.provider.storage.rwx) {
      return { check, coverage: 'provider', detail: `StorageClass \`${cluster.provider.storage.rwx}\` of ${cluster.provider.title}`, components };
    }
    return { check, coverage: 'open', detail: check.hint ?? '', components };
  });
}

const LABELS: Record<Coverage, string> = {
  repository: 'this repository',
  provider: 'the provider',
  operator: "the cluster operator's job",
  open: 'not covered yet',
};

export function renderCompliance(files: FileSet, plan: Plan): void {
  const clusters = plan.clusters.map((cluster) => ({
    name: cluster.name,
    provider: cluster.provider.title,
    managed: cluster.provider.managed,
    rows: clusterCompliance(plan, cluster).map((s) => ({ ...s, label: LABELS[s.coverage] })),
  }));
  files.add('docs/haven-compliance.md', renderTemplate(join(TEMPLATES_DIR, 'repo', 'haven-compliance.md.hbs'), { plan, clusters }));
}

/** The short version printed at the end of a run: per cluster, counts and what is still open. */
export function complianceSummary(plan: Plan): string[] {
  // Clusters with the same outcome share one entry, so a fleet of hundreds stays readable.
  const groups = new Map<string, string[]>();
  for (const cluster of plan.clusters) {
    const statuses = clusterCompliance(plan, cluster);
    const count = (c: Coverage) => statuses.filter((s) => s.coverage === c).length;
    const text = [
      `${count('repository')} by this repository, ${count('provider')} by the provider, ${count('operator')} the cluster operator's job, ${count('open')} not covered yet`,
      ...statuses.filter((x) => x.coverage === 'open').map((s) => `    - ${s.check.title}: ${s.detail}`),
    ].join('\n');
    groups.set(text, [...(groups.get(text) ?? []), cluster.name]);
  }
  const lines = ['Haven checks (docs/haven-compliance.md):'];
  for (const [text, names] of groups) {
    const [first, ...rest] = text.split('\n');
    lines.push(`  ${abbreviate(names, 'clusters')}: ${first}`, ...rest);
  }
  return lines;
}
