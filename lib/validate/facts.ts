/**
 * Checks that need to know what a chart renders or a controller does, not only what the repository says
 * (check `facts`): an Argo CD Application whose chart writes into a namespace, or creates a cluster-scoped
 * kind, that its AppProject does not allow (Argo CD refuses the whole sync); with a registry mirror, what
 * would still be pulled from Docker Hub; a Flux decryption Secret nothing makes. The chart facts come from
 * templates/chart-facts, gathered from each chart's upstream templates at the pinned version
 * (lib/chart-facts.ts).
 */
import { chartFacts, foreignNamespaces, type ChartFacts } from '../chart-facts.js';
import { chartImageRegistry, dockerHubPath, isDockerHub, isDockerHubChart } from '../mirror.js';
import { get, objectKey, type K8sObject } from './build.js';
import { error, warning, type Finding } from './findings.js';
import { argoGlob } from './globs.js';

/** Argo CD's glob for project fields (util/glob.Match; `!negation` not used here), in linear time; each pattern compiled once. */
const globs = new Map<string, (value: string) => boolean>();
const glob = (pattern: string, value: string) => {
  let match = globs.get(pattern);
  if (!match) globs.set(pattern, (match = argoGlob(pattern)));
  return match(value);
};

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

/**
 * Whether a cluster-scoped kind is rendered, from its condition (free text in the facts, as their authors
 * wrote it): off when it says so (not rendered, OpenShift only, off by default and not switched on by the
 * catalog, switched off by the catalog, not verified); otherwise rendered, as the schema says of the list.
 */
export function renderedAtDefaults(condition: string | undefined): boolean {
  if (!condition) return true;
  if (/not rendered|not at the catalog|openshift|not verified/i.test(condition)) return false;
  if (/catalog (sets [\w.]+ )?false|catalog false/i.test(condition)) return false;
  return !(/default false/i.test(condition) && !/catalog (sets [\w.]+ )?true/i.test(condition));
}

function clusterScopedFindings(facts: ChartFacts, p: ProjectSpec, project: string | undefined, file: string, where: { object: string; path: string }): Finding[] {
  const allowed = (group: string, kind: string) =>
    (p.clusterResourceWhitelist ?? []).some((w) => glob(w.group ?? '', group) && glob(w.kind ?? '', kind)) &&
    !(p.clusterResourceBlacklist ?? []).some((b) => glob(b.group ?? '', group) && glob(b.kind ?? '', kind));
  const refused = [...new Set(facts.clusterScopedKinds.filter((k) => renderedAtDefaults(k.condition) && !allowed(k.group, k.kind)).map((k) => (k.group ? `${k.kind}.${k.group}` : k.kind)))];
  if (refused.length === 0) return [];
  return [error('facts', file, `chart ${facts.chart} ${facts.version} creates cluster-scoped ${refused.join(', ')}, which project ${project} does not whitelist (clusterResourceWhitelist): Argo CD refuses the sync`, where)];
}

/** The Docker Hub mirror a repository's answers name (`.yo-rc.json`, key registry-mirror), if any. */
export function registryMirrorOf(yoRc: string | undefined): string | undefined {
  if (!yoRc) return undefined;
  try {
    const answers = (JSON.parse(yoRc) as Record<string, { answers?: Record<string, unknown> }>)['generator-haven-plus']?.answers;
    return typeof answers?.['registry-mirror'] === 'string' ? answers['registry-mirror'] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * With a mirror set, what would still be pulled anonymously from Docker Hub: a chart's images at its
 * values (from its facts: the registry each image ends up with), an OCI chart or Helm repository on
 * docker.io, and container images in manifests.
 */
export function dockerHubPulls(chart: { chart: string; version?: string; url?: string; values: Record<string, unknown> }, where: { file: string; object: string; path: string }, mirror: string): Finding[] {
  const findings: Finding[] = [];
  if (chart.url && isDockerHubChart(chart.url)) {
    findings.push(error('facts', where.file, `chart ${chart.url} is pulled anonymously from Docker Hub although the registry mirror ${mirror} is set: use oci://${mirror}/${chart.url.replace(/^oci:\/\/[^/]+\//, '')}`, { object: where.object, path: where.path }));
  }
  const facts = chartFacts(chart.chart, chart.version);
  for (const image of facts?.images ?? []) {
    if (dockerHubPath(image.repository) === undefined) continue;
    const keys = image.values;
    // Not set through the chart's values (an operator's image: its manifests are checked), or switched off.
    if (Object.keys(keys).length === 0) continue;
    if (image.enabledBy && (get(chart.values, image.enabledBy.value) ?? image.enabledBy.default) !== true) continue;
    // One key holding a list (velero's initContainers): its containers are checked where they stand.
    if (keys.image && !keys.registry && !keys.repository && !keys.globalRegistry && typeof get(chart.values, keys.image) !== 'string') continue;
    if (!isDockerHub(chartImageRegistry(image, chart.values))) continue;
    const set = [keys.registry, keys.globalRegistry, keys.repository, keys.image].filter(Boolean).join(' or ') || 'no value of the chart';
    findings.push(
      error('facts', where.file, `${facts!.chart} ${facts!.version} pulls ${image.repository} anonymously from Docker Hub although the registry mirror ${mirror} is set${image.condition ? ` (when: ${image.condition})` : ''}; set ${set} (${facts!.file})`, {
        object: where.object,
        path: where.path,
      }),
    );
  }
  return findings;
}

/** Container images and Grafana versions in plain manifests that still name Docker Hub. */
export function dockerHubImages(object: K8sObject, file: string, mirror: string): Finding[] {
  const out: Finding[] = [];
  const check = (image: unknown, path: string) => {
    if (typeof image === 'string' && dockerHubPath(image) !== undefined) {
      out.push(error('facts', file, `image ${image} is pulled anonymously from Docker Hub although the registry mirror ${mirror} is set: use ${mirror}/${dockerHubPath(image)}`, { object: objectKey(object), path }));
    }
  };
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}/${i}`));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) v.forEach((c, i) => check((c as { image?: unknown }).image, `${path}/${k}/${i}/image`));
        else walk(v, `${path}/${k}`);
      }
    }
  };
  walk(object.spec, '/spec');
  // Envoy Gateway runs the proxies of an EnvoyProxy's Gateways with its default image (DefaultEnvoyProxyImage,
  // docker.io/envoyproxy/envoy, envoyproxy/gateway v1.9.0 api/v1alpha1/shared_types.go) unless it names one.
  if (object.kind === 'EnvoyProxy' && (object.apiVersion ?? '').startsWith('gateway.envoyproxy.io/')) {
    const kubernetes = get(object, 'spec.provider.kubernetes') as Record<string, unknown> | undefined;
    const image = get(kubernetes, 'envoyDeployment.container.image') ?? get(kubernetes, 'envoyDaemonSet.container.image');
    if (image === undefined) {
      out.push(error('facts', file, `leaves the proxy image to Envoy Gateway's default (docker.io/envoyproxy/envoy), pulled anonymously from Docker Hub although the registry mirror ${mirror} is set: set spec.provider.kubernetes.envoyDeployment.container.image`, { object: objectKey(object), path: '/spec/provider/kubernetes' }));
    } else check(image, '/spec/provider/kubernetes/envoyDeployment/container/image');
  }
  // grafana-operator takes an image reference (or a tag) in a Grafana's spec.version.
  if (object.kind === 'Grafana' && typeof object.spec?.version === 'string' && object.spec.version.includes('/')) check(object.spec.version, '/spec/version');
  return out;
}

/**
 * A Flux Kustomization decrypts with a Secret nothing makes: not in the repository, and no README step
 * or script creates it (`kubectl ... create secret generic <name>`, the sandbox script's too). kustomize-controller then fails it, and every
 * Kustomization after it waits. An error in a haven-plus repository (its READMEs are the documentation);
 * elsewhere a warning, since the step may be documented outside the repository.
 */
export function undocumentedDecryptionSecrets(
  kustomizations: { object: K8sObject; file: string }[],
  secrets: { object: K8sObject; file: string }[],
  readmes: [string, string][],
  generated: boolean,
): Finding[] {
  const findings: Finding[] = [];
  for (const { object, file } of kustomizations) {
    const name = (object.spec as { decryption?: { secretRef?: { name?: string } } } | undefined)?.decryption?.secretRef?.name;
    if (!name) continue;
    const ns = object.metadata?.namespace ?? 'flux-system';
    if (secrets.some((s) => s.object.metadata?.name === name && (s.object.metadata?.namespace ?? ns) === ns)) continue;
    const step = new RegExp(`create secret generic ['"]?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]?(\\s|$)`, 'm');
    if (readmes.some(([, text]) => step.test(text))) continue;
    const message = `decrypts with Secret ${ns}/${name}, which nothing in this repository creates and no README step makes (kubectl create secret generic ${name}): kustomize-controller fails this Kustomization until it exists`;
    findings.push((generated ? error : warning)('facts', file, message, { object: objectKey(object), path: '/spec/decryption/secretRef' }));
  }
  return findings;
}
