/**
 * The validation pipeline over a FileSet (in memory, before writing; or read from disk):
 * YAML → kustomize builds → strict schemas with CEL → references per cluster → chart values.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { isScalar, parseAllDocuments, visit } from 'yaml';
import { loadCatalog, type Catalog } from '../catalog.js';
import type { FileSet } from '../fileset.js';
import { buildKustomization, isComponent, mergePatch, objectKey, objectsOf, type BuildResult, type K8sObject } from './build.js';
import { error, warning, type Finding, type MustCreate } from './findings.js';
import { expandApplicationSets, generatedKey } from './applicationset.js';
import { checkReferences } from './references.js';
import { scanForSecrets } from './secret-scan.js';
import { BUNDLED_SCHEMAS, nameProblems, resolveLocations, SchemaRegistry } from './schemas.js';
import { validateStructure } from './structure.js';
import { configMapsIn, kustomizationVariables, postBuildKey, substituteBuild } from './substitute.js';
import { ChartLibrary, resolveChartDirs } from './values.js';
import { chartFacts } from '../chart-facts.js';
import { checkApplicationChart, dockerHubImages, dockerHubPulls, registryMirrorOf, undocumentedDecryptionSecrets } from './facts.js';

export interface ValidateOptions {
  schemaLocations?: string[];
  chartData?: string[];
  /** Build output from kubectl for kustomizations the in-memory builder does not support (dir → YAML). */
  kubectlBuilds?: Map<string, string>;
  registry?: SchemaRegistry;
  charts?: ChartLibrary;
  catalog?: Catalog;
  /** A Docker Hub mirror nothing may bypass; default: the repository's answers (.yo-rc.json registry-mirror). */
  registryMirror?: string;
}

export interface Report {
  findings: Finding[];
  mustCreate: MustCreate[];
  stats: { files: number; objects: number; kustomizations: number; schemas: number; celRules: number; celNotEvaluated: number; chartValues: number };
  notes: string[];
}

/** YAML 1.1 (which Kubernetes' sigs.k8s.io/yaml follows) reads these plain scalars as booleans. */
const YAML11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function yaml11Booleans(files: FileSet): Finding[] {
  const findings: Finding[] = [];
  for (const [file, text] of files.entries()) {
    if (!/\.ya?ml$/.test(file)) continue;
    for (const doc of parseAllDocuments(text, { version: '1.2' })) {
      visit(doc, {
        Scalar(_k, node) {
          if (isScalar(node) && node.type === 'PLAIN' && typeof node.value === 'string' && YAML11_BOOLEAN.test(node.value)) {
            const line = node.range ? text.slice(0, node.range[0]).split('\n').length : undefined;
            findings.push(error('yaml', file, `${JSON.stringify(node.value)}${line ? ` (line ${line})` : ''} is a boolean in YAML 1.1, which Kubernetes reads: quote it if a string is meant`));
          }
        },
      });
    }
  }
  return findings;
}

let emittedKinds: Set<string> | undefined;
/** Kinds the generator emits (their schemas ship in the package): a missing schema for them is an error. */
function generatorKinds(): Set<string> {
  if (!emittedKinds) {
    const index = join(BUNDLED_SCHEMAS, 'INDEX.json');
    const entries = existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as { apiVersion: string; kind: string }[]) : [];
    emittedKinds = new Set(entries.map((e) => `${e.apiVersion}/${e.kind}`));
  }
  return emittedKinds;
}

/** API groups of configuration files that are not Kubernetes objects (kind's and k3d's cluster configs): no Kubernetes naming rules. */
const CONFIG_FILE_GROUPS = new Set(['kind.x-k8s.io', 'k3d.io']);

function schemaFindings(registry: SchemaRegistry, object: K8sObject, file: string): { findings: Finding[]; checked: boolean } {
  const id = objectKey(object);
  const configFile = CONFIG_FILE_GROUPS.has(object.apiVersion!.split('/')[0]);
  const findings: Finding[] = configFile ? [] : nameProblems(object.kind ?? '', object.metadata).map((p) => error('schema', file, p.message, { object: id, path: p.path }));
  const hit = registry.get(object.apiVersion!, object.kind!);
  if (!hit) {
    const emitted = generatorKinds().has(`${object.apiVersion}/${object.kind}`);
    const message = `no schema found for ${object.apiVersion} ${object.kind} in ${registry.locations.join(', ')}`;
    findings.push(emitted ? error('schema', file, message, { object: id }) : warning('schema', file, `${message}: not validated`, { object: id }));
    return { findings, checked: false };
  }
  // A SOPS-encrypted Secret: check its structure, not the sops block or the encrypted (non-base64) data.
  const subject =
    object.kind === 'Secret' && 'sops' in object
      ? { ...Object.fromEntries(Object.entries(object).filter(([k]) => k !== 'sops')), ...(object.data ? { data: Object.fromEntries(Object.keys(object.data as object).map((k) => [k, ''])) } : {}) }
      : object;
  if (!hit.validate(subject)) {
    for (const e of hit.validate.errors ?? []) {
      const params = e.params as Record<string, unknown>;
      const detail =
        e.keyword === 'additionalProperties' ? `unknown field ${JSON.stringify(params.additionalProperty)}` :
        e.keyword === 'enum' ? `${e.message}: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` :
        e.message ?? 'is invalid';
      findings.push(error('schema', file, `${e.instancePath || '/'}: ${detail}`, { object: id, path: e.instancePath || '/' }));
    }
  }
  return { findings, checked: true };
}

/** The chart an OCI reference names: its last path segment (oci://ghcr.io/grafana/helm-charts/grafana-operator). */
export const ociChartName = (url: string) => url.replace(/\/$/, '').split('/').pop()!;

export async function validateFiles(files: FileSet, options: ValidateOptions = {}): Promise<Report> {
  const catalog = options.catalog ?? loadCatalog();
  const registry = options.registry ?? new SchemaRegistry(resolveLocations(options.schemaLocations));
  const charts = options.charts ?? new ChartLibrary(resolveChartDirs(options.chartData));
  const notes: string[] = [];
  const findings: Finding[] = [...validateStructure(files), ...yaml11Booleans(files), ...scanForSecrets(files)];

  // Builds: in memory, or kubectl's output where the kustomization uses what the builder does not do.
  const builds = new Map<string, BuildResult>();
  for (const path of files.paths().filter((p) => posix.basename(p) === 'kustomization.yaml' && !isComponent(files.get(p)))) {
    const dir = posix.dirname(path);
    const build = buildKustomization(files, dir);
    if (build.unsupported.length > 0) {
      const output = options.kubectlBuilds?.get(dir);
      if (output !== undefined) build.objects = objectsOf(output).map((object) => ({ object, origin: path, patchedBy: [] }));
      else notes.push(`${dir}: uses ${[...new Set(build.unsupported)].join(', ')}, which the offline builder does not implement; built without them`);
    }
    for (const e of build.errors) findings.push(error('kustomize', e.file, e.message));
    builds.set(dir, build);
  }

  const kustomizations = builds.size;
  const consumed = substituteVariables(files, builds, findings);
  // A hub's ApplicationSets: the Applications they generate for each registered cluster.
  const fleet = expandApplicationSets(files, builds);
  findings.push(...fleet.findings);
  for (const [cluster, objects] of fleet.generated) builds.set(generatedKey(cluster), { dir: generatedKey(cluster), objects, unsupported: [], errors: [] });

  // Every object: built objects (with their origin; substituted where Flux substitutes), and manifests outside any build.
  const subjects: { object: K8sObject; file: string }[] = [];
  const inBuilds = new Set<string>();
  const counted = new Set<K8sObject>();
  for (const [dir, b] of builds) {
    for (const o of b.objects) {
      inBuilds.add(o.origin);
      for (const p of o.patchedBy) inBuilds.add(p);
      if (consumed.has(dir) || counted.has(o.object)) continue;
      counted.add(o.object);
      subjects.push({ object: o.object, file: o.patchedBy.at(-1) ?? o.origin });
    }
  }
  for (const [file, text] of files.entries()) {
    if (!/\.ya?ml$/.test(file) || inBuilds.has(file) || posix.basename(file) === 'kustomization.yaml') continue;
    for (const object of objectsOf(text)) {
      if (object.apiVersion === undefined && object.kind === undefined) continue; // data, e.g. chart values
      subjects.push({ object, file });
    }
  }
  const prefetchNotes = await registry.prefetch(
    [...new Map(subjects.filter((s) => s.object.apiVersion && s.object.kind).map((s) => [`${s.object.apiVersion}/${s.object.kind}`, { apiVersion: s.object.apiVersion!, kind: s.object.kind! }])).values()],
  );
  notes.push(...prefetchNotes);
  const mirror = options.registryMirror ?? registryMirrorOf(files.get('.yo-rc.json'));
  if (mirror) for (const { object, file } of subjects) findings.push(...dockerHubImages(object, file, mirror));
  let schemasChecked = 0;
  for (const { object, file } of subjects) {
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      findings.push(error('schema', file, 'a document without apiVersion and kind is not a Kubernetes object', { object: objectKey(object) }));
      continue;
    }
    const r = schemaFindings(registry, object, file);
    findings.push(...r.findings);
    if (r.checked) schemasChecked++;
  }

  const refs = checkReferences(files, builds, catalog, fleet.projects);
  findings.push(...refs.findings);
  const isFlux = (o: K8sObject) => o.kind === 'Kustomization' && (o.apiVersion ?? '').startsWith('kustomize.toolkit.fluxcd.io/');
  findings.push(
    ...undocumentedDecryptionSecrets(
      subjects.filter((s) => isFlux(s.object)),
      subjects.filter((s) => ['Secret', 'SealedSecret', 'ExternalSecret'].includes(s.object.kind ?? '')),
      files.entries().filter(([p]) => posix.basename(p) === 'README.md' || p.endsWith('.sh')),
      files.has('.yo-rc.json'),
    ),
  );

  // Chart values: Flux HelmReleases (as built, overlays merged) and Argo CD Helm sources.
  let valuesChecked = 0;
  const catalogReleases = [...catalog.components.values()].flatMap((c) => c.controller?.releases ?? []);
  const checkValues = (file: string, id: string, ref: Parameters<ChartLibrary['find']>[0], values: Record<string, unknown>, path: string, url?: string) => {
    if (mirror) findings.push(...dockerHubPulls({ chart: ref.chart, version: ref.version ?? ref.gitRef, url, values }, { file, object: id, path }, mirror));
    const chart = charts.find(ref);
    // The catalog's release of this chart, for what its data says about the chart's values.
    const release = catalogReleases.find((r) => r.chart === ref.chart && r.version === (ref.version ?? ref.gitRef));
    if (!chart) {
      // A catalog chart known to have no offline data is said once, as a note; anything else is a warning.
      const known = release?.valuesUnchecked ? release : undefined;
      if (known) {
        const note = `${ref.chart} ${known.version}: values not checked offline (${known.valuesUnchecked})`;
        if (!notes.includes(note)) notes.push(note);
      } else {
        findings.push(warning('values', file, `no chart data for ${ref.chart} ${ref.version ?? ref.gitRef}: values not checked`, { object: id }));
      }
      return;
    }
    valuesChecked++;
    const passThrough = (chartFacts(ref.chart, ref.version ?? ref.gitRef)?.passThroughValues ?? []).map((p) => `/${p.value.replaceAll('.', '/')}`);
    for (const p of charts.check(chart, values, [...(release?.undeclaredValues ?? []), ...passThrough])) findings.push(error('values', file, p.message, { object: id, path: `${path}${p.path === '/' ? '' : p.path}` }));
  };
  const valuesSeen = new Set<K8sObject>();
  for (const [dir, b] of builds) {
    if (consumed.has(dir)) continue;
    for (const o of b.objects) {
      const hr = o.object;
      if (hr.kind !== 'HelmRelease' || valuesSeen.has(hr)) continue;
      valuesSeen.add(hr);
      const spec = hr.spec as { chart?: { spec?: { chart: string; version?: string; sourceRef?: { kind: string; name: string } } }; chartRef?: { kind: string; name: string }; values?: Record<string, unknown> };
      const chartSpec = spec.chart?.spec;
      if (!chartSpec) {
        // An OCI chart: the OCIRepository names the chart (last path segment) and pins the tag.
        const oci = spec.chartRef?.kind === 'OCIRepository' ? b.objects.find((s) => s.object.kind === 'OCIRepository' && s.object.metadata?.name === spec.chartRef!.name)?.object : undefined;
        const url = oci?.spec?.url as string | undefined;
        const tag = (oci?.spec?.ref as { tag?: string } | undefined)?.tag;
        if (url && tag) checkValues(o.patchedBy.at(-1) ?? o.origin, objectKey(hr), { chart: ociChartName(url), version: tag }, spec.values ?? {}, '/spec/values', url);
        continue;
      }
      const source = b.objects.find((s) => s.object.kind === chartSpec.sourceRef?.kind && s.object.metadata?.name === chartSpec.sourceRef?.name)?.object;
      const ref = chartSpec.sourceRef?.kind === 'GitRepository'
        ? { chart: chartSpec.chart, gitUrl: source?.spec?.url as string | undefined, gitRef: (source?.spec?.ref as { tag?: string } | undefined)?.tag }
        : { chart: chartSpec.chart, version: chartSpec.version };
      checkValues(o.patchedBy.at(-1) ?? o.origin, objectKey(hr), ref, spec.values ?? {}, '/spec/values', source?.spec?.url as string | undefined);
    }
  }
  const applications = [
    ...files.entries().filter(([file]) => file.startsWith('clusters/') && file.endsWith('.yaml')).flatMap(([file, text]) => objectsOf(text).filter((o) => o.kind === 'Application').map((app) => ({ file, app }))),
    ...[...fleet.generated.values()].flat().map((b) => ({ file: b.origin, app: b.object })),
  ];
  // An Application's AppProject: beside it (a cluster's apps/), or the hub's for generated Applications.
  const projects = subjects.filter((s) => s.object.kind === 'AppProject');
  const projectOf = (file: string, app: K8sObject) => {
    const name = (app.spec as { project?: string } | undefined)?.project ?? 'default';
    const named = [...projects.filter((p) => p.object.metadata?.name === name), ...fleet.projects.filter((p) => p.metadata?.name === name).map((object) => ({ object, file: '' }))];
    return (named.find((p) => posix.dirname(p.file) === posix.dirname(file)) ?? named[0])?.object;
  };
  for (const { file, app } of applications) {
    const sources = (app.spec?.sources as { repoURL: string; chart?: string; path?: string; targetRevision?: string; helm?: { valueFiles?: string[]; valuesObject?: Record<string, unknown> } }[]) ?? [];
    for (const [i, s] of sources.entries()) {
      if (!s.helm) continue;
      let values: Record<string, unknown> = {};
      for (const f of s.helm.valueFiles ?? []) {
        const text2 = files.get(f.replace(/^\$values\//, ''));
        if (text2 !== undefined) values = mergePatch(values, objectsOf(text2)[0] ?? {}) as Record<string, unknown>;
      }
      if (s.helm.valuesObject) values = mergePatch(values, s.helm.valuesObject) as Record<string, unknown>;
      const ref = s.chart
        ? { chart: s.chart, version: s.targetRevision }
        : s.repoURL.startsWith('oci://')
          ? { chart: ociChartName(s.repoURL), version: s.targetRevision }
          : { chart: s.path ?? '', gitUrl: s.repoURL, gitRef: s.targetRevision };
      checkValues(file, objectKey(app), ref, values, `/spec/sources/${i}/helm`, s.repoURL);
      findings.push(...checkApplicationChart(file, app, { chart: ref.chart, version: ref.version ?? ref.gitRef, values, path: `/spec/sources/${i}` }, projectOf(file, app)));
    }
  }

  if (registry.cel.unsupported.size > 0 || registry.cel.notEvaluated > 0) {
    notes.push(`${registry.cel.notEvaluated} CEL rule evaluations were skipped (transition rules, or Kubernetes CEL extensions: ${[...registry.cel.unsupported].join(', ') || 'none'})`);
  }
  return {
    findings: dedupe(findings),
    mustCreate: refs.mustCreate,
    stats: {
      files: files.size,
      objects: subjects.length,
      kustomizations,
      schemas: schemasChecked,
      celRules: registry.cel.evaluated,
      celNotEvaluated: registry.cel.notEvaluated,
      chartValues: valuesChecked,
    },
    notes,
  };
}

/**
 * Flux substitutes variables after the build (postBuild): each Kustomization under clusters/<cluster>/
 * with postBuild gets its own substituted copy of its build, kept under postBuildKey(). Returns the
 * directories that reach a cluster only substituted: their plain builds are not what any cluster gets.
 */
function substituteVariables(files: FileSet, builds: Map<string, BuildResult>, findings: Finding[]): Set<string> {
  const consumed = new Set<string>();
  const plain = new Set<string>();
  const clusterFiles = new Map<string, string[]>();
  for (const path of files.paths().filter((p) => /^clusters\/[^/]+\/.+\.ya?ml$/.test(p))) {
    const cluster = path.split('/')[1];
    clusterFiles.set(cluster, [...(clusterFiles.get(cluster) ?? []), path]);
  }
  for (const [cluster, paths] of clusterFiles) {
    const objects = paths.map((path) => ({ path, objects: objectsOf(files.get(path)!) }));
    const configMaps = configMapsIn(objects.flatMap((o) => o.objects));
    for (const { path, objects: inFile } of objects) {
      for (const k of inFile) {
        if (k.kind !== 'Kustomization' || !k.apiVersion?.startsWith('kustomize.toolkit.fluxcd.io/')) continue;
        const dir = posix.normalize(String(k.spec?.path ?? '').replace(/^\.\//, '')).replace(/\/$/, '');
        const build = builds.get(dir);
        if (!build) continue;
        if (!k.spec?.postBuild) {
          plain.add(dir);
          continue;
        }
        const where = { object: objectKey(k), path: '/spec/postBuild' };
        const { vars, problems } = kustomizationVariables(k, configMaps);
        for (const p of problems) findings.push(error('reference', path, p, where));
        const result = substituteBuild(build, vars);
        for (const m of result.missing) {
          findings.push(error('reference', m.origin, `\${${m.name}} has no value on cluster ${cluster} (${objectKey(k)} in ${path}) and no default: Flux stops with "variable not set" (strict, the default since Flux 2.9) or puts an empty string there`));
        }
        for (const u of result.unparsable) {
          findings.push(error('reference', u.origin, `${JSON.stringify(u.expression)} is not a variable Flux can substitute on cluster ${cluster} (${objectKey(k)}): names are letters, digits and _; write $\${…} for a literal \${…}`));
        }
        builds.set(postBuildKey(dir, path, k.metadata?.name ?? ''), result.build);
        consumed.add(dir);
      }
    }
  }
  for (const dir of plain) consumed.delete(dir);
  return consumed;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings
    .filter((f) => {
      const key = `${f.severity}|${f.file}|${f.object ?? ''}|${f.path ?? ''}|${f.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || (a.object ?? '').localeCompare(b.object ?? '') || (a.path ?? '').localeCompare(b.path ?? ''));
}
