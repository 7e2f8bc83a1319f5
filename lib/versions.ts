/**
 * Pinned versions in a rendered repository, read back from its files (so a repository made by an
 * older generator, whose catalog is gone, can be compared with a new render): Flux HelmReleases,
 * OCIRepositories and tagged GitRepositories, Argo CD Application sources. Keyed by chart or
 * upstream repository name.
 */
import { parseAllDocuments } from 'yaml';

import { chartFacts } from './chart-facts.js';
import { releaseVersion, type Plan } from './plan.js';
import { FLUX_NAMESPACE, FLUX_ROOT_SOURCE } from './render/flux.js';
import { get } from './validate/build.js';

type Doc = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const repoName = (url: string) => url.replace(/\/+$/, '').replace(/\.git$/, '').split('/').pop() ?? url;

/** An Application's (or an ApplicationSet template's) sources: `source` and `sources` alike. */
export const applicationSources = (spec: unknown): unknown[] => [get(spec, 'source'), ...((get(spec, 'sources') as unknown[] | undefined) ?? [])].filter(Boolean);

export function pinnedVersions(files: Iterable<[string, string]>, platformRepository?: string): Map<string, string> {
  const pins = new Map<string, string>();
  const pin = (name: string | undefined, version: string | undefined) => {
    if (!name || !version) return;
    const known = pins.get(name);
    // One version per name; a repository pinning two (mid-migration by hand) shows both.
    pins.set(name, known && known !== version && !known.split(', ').includes(version) ? `${known}, ${version}` : known ?? version);
  };
  for (const [path, text] of files) {
    if (!/^(infrastructure|clusters)\/.*\.ya?ml$/.test(path)) continue;
    let docs: Doc[];
    try {
      docs = parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((d) => d && typeof d === 'object');
    } catch {
      continue; // a file that no longer parses has no pins to report; validation says why
    }
    for (const doc of docs) {
      // The root source (the platform repository, or a sandbox's pushed working tree) pins nothing.
      if (get(doc, 'metadata.name') === FLUX_ROOT_SOURCE && get(doc, 'metadata.namespace') === FLUX_NAMESPACE) continue;
      switch (doc.kind) {
        case 'HelmRelease':
          pin(str(get(doc, 'spec.chart.spec.chart')), str(get(doc, 'spec.chart.spec.version')));
          break;
        case 'OCIRepository': {
          const url = str(get(doc, 'spec.url'));
          pin(url ? repoName(url) : undefined, str(get(doc, 'spec.ref.tag')) ?? str(get(doc, 'spec.ref.semver')));
          break;
        }
        case 'GitRepository': {
          const url = str(get(doc, 'spec.url'));
          if (url && url !== platformRepository) pin(repoName(url), str(get(doc, 'spec.ref.tag')));
          break;
        }
        case 'Application': {
          for (const s of applicationSources(doc.spec)) {
            const url = str(get(s, 'repoURL'));
            if (!url || url === platformRepository) continue;
            pin(str(get(s, 'chart')) ?? repoName(url), str(get(s, 'targetRevision')));
          }
          break;
        }
      }
    }
  }
  return pins;
}

export interface VersionChange {
  name: string;
  from?: string;
  to?: string;
}

/** What moves between two sets of pins, by name: upgraded, added, removed. */
export function versionChanges(before: Map<string, string>, after: Map<string, string>): VersionChange[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names.filter((n) => before.get(n) !== after.get(n)).map((name) => ({ name, from: before.get(name), to: after.get(name) }));
}

export function formatChange(c: VersionChange): string {
  if (!c.from) return `${c.name}: new, ${c.to}`;
  if (!c.to) return `${c.name}: ${c.from}, no longer used`;
  return `${c.name}: ${c.from} → ${c.to}`;
}

/**
 * Chart versions the plan runs (each environment's, held ones too) that have no chart facts: the checks
 * that read what a chart renders (Argo CD project namespaces, Docker Hub pulls through the mirror) cannot
 * see into them, so `upgrade` says so. Gathering them: docs/chart-facts.md.
 */
export function chartsWithoutFacts(plan: Plan): string[] {
  const out = new Set<string>();
  const environments = plan.environments.length > 0 ? plan.environments : [undefined];
  for (const { def } of plan.components) {
    for (const r of def.controller?.releases ?? []) {
      for (const environment of environments) {
        const version = releaseVersion(plan, r, environment);
        if (!chartFacts(r.chart, version)) out.add(`${r.chart} ${version}${environment ? ` (${environment})` : ''}`);
      }
    }
  }
  return [...out].sort();
}
