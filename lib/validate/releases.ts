/**
 * The Helm releases of a repository, read once: a Flux HelmRelease (its chart from `spec.chart` or a
 * `chartRef`, its values as built) and each Helm source of an Argo CD Application (its chart, its values
 * merged in Argo CD's order). The values check, the chart facts and the Secrets that values name all read
 * them from here.
 */
import { multipleSources } from './structure.js';
import type { FileSet } from '../fileset.js';
import { get, listOf, mergePatch, objectsOf, type K8sObject } from './build.js';
import type { Placed } from './topology.js';
import type { ChartRef } from './values.js';

export interface Release {
  /** The file that declares the release (the HelmRelease, the Application). */
  file: string;
  object: K8sObject;
  ref: ChartRef;
  /** The chart's repository URL, where the source names one. */
  url?: string;
  values: Record<string, unknown>;
  /** Where the values are written in the object (a JSON pointer). */
  valuesPath: string;
  /** Where the object names the chart version. */
  versionPath?: string;
  /** The namespace the chart installs into. */
  namespace?: string;
  /** An Argo CD Application's source, as a JSON pointer (`/spec/sources/1`). */
  at?: string;
}

/** The chart an OCI reference names: its last path segment (oci://ghcr.io/grafana/helm-charts/grafana-operator). */
export const ociChartName = (url: string) => url.replace(/\/$/, '').split('/').pop()!;

type HelmReleaseSpec = {
  chart?: { spec?: { chart: string; version?: string; sourceRef?: { kind: string; name: string; namespace?: string } } };
  chartRef?: { kind: string; name: string; namespace?: string };
  values?: Record<string, unknown>;
  targetNamespace?: string;
};

/**
 * A Flux HelmRelease's chart and values; its sources are looked up among what the same cluster applies.
 * Undefined where the chart cannot be named offline (a chartRef to a source not in the repository, an
 * OCIRepository pinned by digest).
 */
export function fluxRelease(placed: Placed[], p: Placed): Release | undefined {
  const hr = p.object;
  const ns = hr.metadata?.namespace;
  const spec = (hr.spec ?? {}) as HelmReleaseSpec;
  const find = (kind: string | undefined, name: string | undefined, namespace: string | undefined) =>
    placed.find((q) => q.object.kind === kind && q.object.metadata?.name === name && (q.object.metadata?.namespace ?? namespace) === namespace)?.object;
  const common = { file: p.file, object: hr, values: spec.values ?? {}, valuesPath: '/spec/values', namespace: spec.targetNamespace ?? ns };
  const chartSpec = spec.chart?.spec;
  if (!chartSpec) {
    // chartRef: an OCIRepository names the chart (last path segment) and pins the tag; a HelmChart names both.
    const ref = spec.chartRef;
    const target = ref ? find(ref.kind, ref.name, ref.namespace ?? ns) : undefined;
    if (ref?.kind === 'OCIRepository' && target) {
      const url = target.spec?.url as string | undefined;
      // A tag is the version; a semver range resolves upstream (a digest names no version: not checked).
      const pin = target.spec?.ref as { tag?: string; semver?: string; digest?: string } | undefined;
      const version = pin?.digest ? undefined : (pin?.semver ?? pin?.tag ?? 'latest');
      return url && version ? { ...common, ref: { chart: ociChartName(url), version }, url } : undefined;
    }
    if (ref?.kind === 'HelmChart' && target) {
      const source = get(target, 'spec.sourceRef') as { kind?: string; name?: string } | undefined;
      const repo = find(source?.kind, source?.name, target.metadata?.namespace ?? ns);
      return { ...common, ref: { chart: String(get(target, 'spec.chart') ?? ''), version: get(target, 'spec.version') as string | undefined }, url: repo?.spec?.url as string | undefined };
    }
    return undefined;
  }
  const source = find(chartSpec.sourceRef?.kind, chartSpec.sourceRef?.name, chartSpec.sourceRef?.namespace ?? ns);
  const ref = chartSpec.sourceRef?.kind === 'GitRepository'
    ? { chart: chartSpec.chart, gitUrl: source?.spec?.url as string | undefined, gitRef: (source?.spec?.ref as { tag?: string } | undefined)?.tag }
    : { chart: chartSpec.chart, version: chartSpec.version };
  return { ...common, ref, url: source?.spec?.url as string | undefined, versionPath: '/spec/chart/spec/version' };
}

export type ArgoReleaseSource = { repoURL: string; chart?: string; path?: string; targetRevision?: string; helm?: { valueFiles?: string[]; values?: unknown; valuesObject?: Record<string, unknown> } };

/** An Application's sources as written (the values the release reads), with their JSON pointers; which Argo CD reads: structure.ts multipleSources. */
export function argoSourcePointers(app: K8sObject): { s: ArgoReleaseSource; at: string }[] {
  const spec = app.spec as { source?: ArgoReleaseSource; sources?: ArgoReleaseSource[] } | undefined;
  return multipleSources(app) ? listOf<ArgoReleaseSource>(spec?.sources).map((s, i) => ({ s, at: `/spec/sources/${i}` })) : spec?.source ? [{ s: spec.source, at: '/spec/source' }] : [];
}

/**
 * A Helm source of an Argo CD Application: its chart and its values, merged in Argo CD's order (value files
 * from this repository, then the inline `values` text, then `valuesObject`). Undefined for a source that is
 * not Helm, or whose chart or repository is still a template.
 */
export function argoRelease(files: FileSet, file: string, app: K8sObject, s: ArgoReleaseSource, at: string): Release | undefined {
  if (!s || typeof s.repoURL !== 'string' || (!s.helm && !s.chart)) return undefined;
  let values: Record<string, unknown> = {};
  for (const f of listOf<string>(s.helm?.valueFiles).filter((x) => typeof x === 'string')) {
    const text = files.get(f.replace(/^\$values\//, ''));
    if (text !== undefined) values = mergePatch(values, objectsOf(text)[0] ?? {}) as Record<string, unknown>;
  }
  if (typeof s.helm?.values === 'string') values = mergePatch(values, objectsOf(s.helm.values)[0] ?? {}) as Record<string, unknown>;
  if (s.helm?.valuesObject) values = mergePatch(values, s.helm.valuesObject) as Record<string, unknown>;
  const ref: ChartRef = s.chart
    ? { chart: s.chart, version: s.targetRevision }
    : s.repoURL.startsWith('oci://')
      ? { chart: ociChartName(s.repoURL), version: s.targetRevision }
      : { chart: s.path ?? '', gitUrl: s.repoURL, gitRef: s.targetRevision };
  if (ref.chart.includes('{{') || s.repoURL.includes('{{')) return undefined;
  const namespace = (get(app, 'spec.destination.namespace') as string | undefined) ?? app.metadata?.namespace;
  return { file, object: app, ref, url: s.repoURL, values, valuesPath: `${at}/helm`, versionPath: `${at}/targetRevision`, namespace, at };
}
