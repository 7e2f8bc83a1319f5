/**
 * The chart versions each environment runs now, read back from a repository's files: what
 * `haven-plus upgrade --environments <env>` holds the other environments at. Flux keeps them in each
 * component's environment layer (infrastructure/<component>/controller/environments/<env>/releases.yaml),
 * Argo CD in each cluster's Applications or, with a hub, in its ApplicationSets per environment. A
 * repository made before the environment layers existed falls back to its base pins.
 */
import { parseAllDocuments } from 'yaml';
import type { Catalog, Release } from './catalog.js';
import { ENVIRONMENT_LABEL } from './secrets/specs.js';
import { get } from './validate/build.js';
import { applicationSources } from './versions.js';

type Doc = Record<string, unknown>;

export interface EnvironmentLayout {
  clusters: { name: string; environment?: string }[];
  hub?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function docsOf(text: string): Doc[] {
  try {
    return parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((d) => d !== null && typeof d === 'object');
  } catch {
    return []; // a file that no longer parses holds nothing; validation says why
  }
}

/** The version an Application spec pins for a release: its chart source's targetRevision. */
function applicationVersion(spec: unknown, release: Release): string | undefined {
  return str(get(applicationSources(spec).find((s) => get(s, 'repoURL') === release.source.url), 'targetRevision'));
}

/** Versions a Flux file pins, by release: HelmReleases by name, git and OCI sources for the releases they serve. */
function fluxVersions(docs: Doc[], releases: Release[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const doc of docs) {
    const name = get(doc, 'metadata.name');
    if (doc.kind === 'HelmRelease') {
      const version = str(get(doc, 'spec.chart.spec.version'));
      if (version && releases.some((r) => r.name === name && r.source.type === 'helm')) out.set(name as string, version);
    } else if (doc.kind === 'OCIRepository' || doc.kind === 'GitRepository') {
      const tag = str(get(doc, 'spec.ref.tag'));
      for (const r of releases.filter((x) => x.source.type !== 'helm' && x.source.name === name)) if (tag) out.set(r.name, tag);
    }
  }
  return out;
}

/** environment → release → the version it runs there now. */
export function environmentVersionsIn(files: Iterable<[string, string]>, catalog: Catalog, layout: EnvironmentLayout): Map<string, Map<string, string>> {
  const releasesOf = (component: string) => catalog.components.get(component)?.controller?.releases ?? [];
  const allReleases = new Map([...catalog.components.values()].flatMap((c) => c.controller?.releases ?? []).map((r) => [r.name, r]));
  const environmentOf = new Map(layout.clusters.map((c) => [c.name, c.environment]));
  const environments = [...new Set(layout.clusters.flatMap((c) => (c.environment ? [c.environment] : [])))].sort();
  const found = new Map(environments.map((e) => [e, new Map<string, string>()]));
  const fallback = new Map<string, string>();
  const set = (environment: string | undefined, release: string, version: string) => {
    const map = environment === undefined ? undefined : found.get(environment);
    if (map && !map.has(release)) map.set(release, version);
  };
  const sorted = [...files].sort(([a], [b]) => a.localeCompare(b));
  for (const [path, text] of sorted) {
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^infrastructure\/([^/]+)\/controller\/environments\/([^/]+)\/releases\.yaml$/))) {
      for (const [release, version] of fluxVersions(docsOf(text), releasesOf(m[1]))) set(m[2], release, version);
    } else if ((m = path.match(/^infrastructure\/([^/]+)\/controller\/base\/(releases|sources)\.yaml$/))) {
      for (const [release, version] of fluxVersions(docsOf(text), releasesOf(m[1]))) if (!fallback.has(release)) fallback.set(release, version);
    } else if ((m = path.match(/^clusters\/([^/]+)\/apps\/[^/]+\.yaml$/))) {
      for (const doc of docsOf(text).filter((d) => d.kind === 'Application')) {
        const release = allReleases.get(get(doc, 'metadata.name') as string);
        const version = release && applicationVersion(doc.spec, release);
        if (release && version) set(environmentOf.get(m[1]), release.name, version);
      }
    } else if (layout.hub !== undefined && path.startsWith(`clusters/${layout.hub}/fleet/`)) {
      for (const doc of docsOf(text).filter((d) => d.kind === 'ApplicationSet')) {
        // The template is named {{.name}}.<release>; the selector names the environment (none: every spoke's).
        const release = allReleases.get(String(get(doc, 'spec.template.metadata.name') ?? '').replace(/^\{\{\.name\}\}\./, ''));
        const version = release && applicationVersion(get(doc, 'spec.template.spec'), release);
        if (!release || !version) continue;
        const selectors = ((get(doc, 'spec.generators') as unknown[] | undefined) ?? []).map((g) => get(g, `clusters.selector.matchLabels`) as Record<string, string> | undefined);
        const environment = selectors.map((s) => s?.[ENVIRONMENT_LABEL]).find(Boolean);
        if (environment !== undefined) set(environment, release.name, version);
        else for (const c of layout.clusters.filter((x) => x.name !== layout.hub)) set(c.environment, release.name, version);
      }
    }
  }
  for (const map of found.values()) for (const [release, version] of fallback) if (!map.has(release)) map.set(release, version);
  return found;
}
