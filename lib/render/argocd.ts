/**
 * Argo CD delivery: per cluster a root Application (app-of-apps, applied once by hand) that manages
 * an AppProject and one Application per chart release and per config stage. Sync waves come from
 * the same dependency graph as Flux's dependsOn; the Application health check installed with Argo CD
 * makes each wave wait until the previous one is healthy.
 */
import { posix } from 'node:path';
import type { ComponentDef } from '../catalog.js';
import { foreignNamespaces } from '../chart-facts.js';
import { mergePatch } from '../validate/build.js';
import { BUNDLED_CHARTS, ChartLibrary } from '../validate/values.js';
import { isSshRemote } from '../names.js';
import type { FileSet } from '../fileset.js';
import { clusterApps, releaseVersion, type AppNode, type Plan, type PlannedCluster } from '../plan.js';
import { clusterSecretSpecs, componentLabel, ENVIRONMENT_LABEL, fleetDir, secretPath } from '../secrets/specs.js';
import { clusterValues, clustersIn, clustersRunning, componentPath, externalSecret, renderConfig, renderSecrets } from './components.js';
import { DESCRIPTION_ANNOTATION, documents, kustomization, podSecurityLabels } from './manifests.js';
import { toYaml } from './template.js';
import { TENANTS_DIR, tenantsWave } from './tenants.js';

export const ARGOCD_NAMESPACE = 'argocd';
export const PROJECT = 'platform';
/** The AppProject of the Applications a hub's ApplicationSets generate for the other clusters. */
export const FLEET_PROJECT = 'fleet';
const IN_CLUSTER = 'https://kubernetes.default.svc';

const valuesFile = (def: ComponentDef, release: string, where: string) => `${componentPath(def.id, 'controller')}/${where}/${release}.values.yaml`;

/** Where the Secrets a chart reads at install time live: the controller overlay (a kustomization of just them). */
const controllerSecretsDir = (def: ComponentDef, cluster: string) => `${componentPath(def.id, 'controller')}/overlays/${cluster}`;

/** The chart release whose Application also applies the component's install-time Secrets (its first). */
export const secretsRelease = (def: ComponentDef) => def.controller?.releases[0];

function renderValues(files: FileSet, plan: Plan, def: ComponentDef): void {
  for (const r of def.controller?.releases ?? []) {
    if (Object.keys(r.values).length > 0) files.add(valuesFile(def, r.name, 'base'), toYaml(r.values));
    if (r.kind !== 'manifests') {
      for (const environment of plan.environments) {
        const clusters = clustersIn(plan, def.id, environment);
        if (clusters.length === 0) continue;
        files.add(
          valuesFile(def, r.name, `environments/${environment}`),
          `# Values of ${r.name} in environment ${environment} (clusters ${clusters.join(', ')}), over the base values;
` +
            `# each cluster's own come after them (overlays/<cluster>/). Its version is the targetRevision of its Application.
{}
`,
        );
      }
    }
    for (const cluster of clustersRunning(plan, def.id)) {
      const values = clusterValues(def, r, plan, cluster);
      if (Object.keys(values).length > 0) files.add(valuesFile(def, r.name, `overlays/${cluster.name}`), toYaml(values));
    }
  }
  if (!def.controller) return;
  // The kustomization of a component's install-time Secrets is always there, empty until they are given,
  // and always a source of its first chart Application. Sealing them later then changes only files that
  // Application already reads: the root's sync (which waits in its wave for that Application to become
  // healthy, and skips auto-sync while it waits: argo-cd v3.4.4 controller/appcontroller.go) need not change.
  // An ApplicationSet, too, names one path for all its clusters.
  const always = def.secrets.some((s) => s.stage === 'controller');
  for (const cluster of clustersRunning(plan, def.id)) {
    const secrets = renderSecrets(files, plan, def, cluster, 'controller');
    if (secrets.length > 0 || always) files.add(`${controllerSecretsDir(def, cluster.name)}/kustomization.yaml`, kustomization(secrets));
  }
}

/** Labels (and the description) of a namespace Argo CD creates for a chart release. */
function namespaceMetadata(plan: Plan, def: ComponentDef): Record<string, unknown> {
  const description = plan.answers.description;
  return { labels: podSecurityLabels(def.podSecurity), ...(description ? { annotations: { [DESCRIPTION_ANNOTATION]: description } } : {}) };
}

/**
 * An app-of-apps orders its Applications by sync wave; an ApplicationSet's Applications are not ordered,
 * so they retry without limit (each until what it needs, such as CRDs, is there).
 */
const syncPolicy = (extra: Record<string, unknown>, options: string[], retries = 10) => ({
  automated: { prune: true, selfHeal: true },
  syncOptions: options,
  ...extra,
  retry: { limit: retries, backoff: { duration: '30s', factor: 2, maxDuration: '10m' } },
});

/** Where an Application deploys: one cluster, or, in an ApplicationSet's template, each cluster it generates for. */
interface Target {
  /** The cluster's name in paths and names: its own, or the cluster generator's `{{.name}}`. */
  name: string;
  server: string;
  project: string;
  /** The clusters it stands for. */
  clusters: string[];
  /** Their environment: its chart versions and values layer. */
  environment?: string;
  retries: number;
}

const inCluster = (cluster: PlannedCluster): Target => ({ name: cluster.name, server: IN_CLUSTER, project: PROJECT, clusters: [cluster.name], environment: cluster.environment, retries: 10 });

function applicationSpec(plan: Plan, target: Target, node: AppNode, files: FileSet): Record<string, unknown> {
  const def = plan.components.find((c) => c.def.id === node.component)!.def;
  const repoURL = plan.gitRemote!;
  const everywhere = (path: (cluster: string) => string) => target.clusters.every((c) => files.has(path(c)));
  const somewhere = (path: (cluster: string) => string) => target.clusters.some((c) => files.has(path(c)));
  const policy = (extra: Record<string, unknown>, options: string[]) => syncPolicy(extra, options, target.retries);
  let spec: Record<string, unknown>;
  if (node.release?.kind === 'manifests') {
    // Upstream manifests (CRDs) at a tag; never pruned: removing CRDs would delete every object of their kinds.
    const r = node.release;
    spec = {
      project: target.project,
      source: { repoURL: r.source.url, path: r.chart, targetRevision: releaseVersion(plan, r, target.environment), ...(r.patches.length > 0 ? { kustomize: { patches: r.patches } } : {}) },
      destination: { server: target.server, namespace: def.namespace },
      syncPolicy: {
        ...policy({ managedNamespaceMetadata: namespaceMetadata(plan, def) }, ['CreateNamespace=true', 'ServerSideApply=true']),
        automated: { prune: false, selfHeal: true },
      },
    };
  } else if (node.release) {
    const r = node.release;
    const overlay = (cluster: string) => valuesFile(def, r.name, `overlays/${cluster}`);
    // Base, then the environment's values, then the cluster's own.
    const layer = target.environment === undefined ? undefined : valuesFile(def, r.name, `environments/${target.environment}`);
    const valueFiles = [
      ...(files.has(valuesFile(def, r.name, 'base')) ? [valuesFile(def, r.name, 'base')] : []),
      ...(layer !== undefined && files.has(layer) ? [layer] : []),
      ...(somewhere(overlay) ? [overlay(target.name)] : []),
    ].map((f) => `$values/${f}`);
    const version = releaseVersion(plan, r, target.environment);
    // Some of an ApplicationSet's clusters have no values of their own for this release.
    const ignoreMissing = somewhere(overlay) && !everywhere(overlay);
    // Argo CD reads an OCI chart natively (oci:// repoURL, path "."), a git chart by path, a Helm repository chart by name.
    const chartSource: Record<string, unknown> =
      r.source.type === 'git'
        ? { repoURL: r.source.url, path: r.chart, targetRevision: version }
        : r.source.type === 'oci'
          ? { repoURL: r.source.url, path: '.', targetRevision: version }
          : { repoURL: r.source.url, chart: r.chart, targetRevision: version };
    chartSource.helm = { releaseName: r.name, ...(valueFiles.length > 0 ? { valueFiles } : {}), ...(ignoreMissing ? { ignoreMissingValueFiles: true } : {}) };
    const sources: Record<string, unknown>[] = [chartSource, { repoURL, targetRevision: plan.branch, ref: 'values' }];
    // Secrets the chart reads at install come with the component's first release, in the same sync
    // (Argo CD applies Secrets before workloads).
    const secrets = (cluster: string) => `${controllerSecretsDir(def, cluster)}/kustomization.yaml`;
    if (somewhere(secrets) !== everywhere(secrets)) throw new Error(`internal: ${def.id} has install-time Secrets on some of ${target.clusters.join(', ')} only`);
    if (secretsRelease(def) === r && everywhere(secrets)) sources.push({ repoURL, targetRevision: plan.branch, path: controllerSecretsDir(def, target.name) });
    spec = {
      project: target.project,
      sources,
      destination: { server: target.server, namespace: def.namespace },
      syncPolicy: policy({ managedNamespaceMetadata: namespaceMetadata(plan, def) }, [
        'CreateNamespace=true',
        'ServerSideApply=true',
        ...(r.ignoreDifferences.length > 0 ? ['RespectIgnoreDifferences=true'] : []),
      ]),
      ...(r.ignoreDifferences.length > 0 ? { ignoreDifferences: r.ignoreDifferences } : {}),
    };
  } else {
    spec = {
      project: target.project,
      source: { repoURL, targetRevision: plan.branch, path: `${componentPath(def.id, 'config')}/overlays/${target.name}` },
      destination: { server: target.server, namespace: def.config!.namespace },
      syncPolicy: policy({}, ['ServerSideApply=true']),
    };
  }
  return spec;
}

function appOfApps(plan: Plan, cluster: PlannedCluster, node: AppNode, files: FileSet): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: node.id,
      namespace: ARGOCD_NAMESPACE,
      annotations: { 'argocd.argoproj.io/sync-wave': String(node.wave) },
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: applicationSpec(plan, inCluster(cluster), node, files),
  };
}

/** An Application of this repository's manifests at `path`, applied into argocd after the platform's waves. */
function lastWaveApplication(plan: Plan, name: string, wave: number, path: string): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ARGOCD_NAMESPACE, annotations: { 'argocd.argoproj.io/sync-wave': String(wave) }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
    spec: {
      project: PROJECT,
      source: { repoURL: plan.gitRemote!, targetRevision: plan.branch, path },
      destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
      syncPolicy: syncPolicy({}, ['ServerSideApply=true']),
    },
  };
}

/**
 * Namespaces a component's charts write into besides their own, at the values each cluster gets (chart
 * facts: metrics-server's RoleBinding in kube-system, say). The project must allow them, or Argo CD refuses the sync.
 */
function chartNamespaces(plan: Plan, def: ComponentDef, clusters: PlannedCluster[]): string[] {
  return (def.controller?.releases ?? []).flatMap((r) =>
    r.facts ? clusters.filter((c) => c.components.includes(def.id)).flatMap((c) => foreignNamespaces(r.facts!, mergePatch(r.values, clusterValues(def, r, plan, c)) as Record<string, unknown>, def.namespace).map((f) => f.effective)) : [],
  );
}

function renderCluster(files: FileSet, plan: Plan, cluster: PlannedCluster): void {
  const dir = `clusters/${cluster.name}`;
  const apps = clusterApps(plan, cluster);
  const defs = cluster.components.map((id) => plan.components.find((c) => c.def.id === id)!.def);
  const tenants = plan.answers.tenants.map((t) => t.name);
  const namespaces = [...new Set([...defs.flatMap((d) => [...(d.controller ? [d.namespace] : []), ...(d.config ? [d.config.namespace] : []), ...chartNamespaces(plan, d, [cluster])]), ...tenants])].sort();
  const sourceRepos = [...new Set([plan.gitRemote!, ...defs.flatMap((d) => (d.controller?.releases ?? []).map((r) => r.source.url))])].sort();
  const project = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: PROJECT, namespace: ARGOCD_NAMESPACE, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } },
    spec: {
      description: `Haven+ platform components of ${plan.name} on cluster ${cluster.name}${plan.answers.description ? `: ${plan.answers.description}` : ''}`,
      sourceRepos,
      destinations: namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
  const resources = ['project.yaml'];
  files.add(`${dir}/apps/project.yaml`, documents([project], 'Everything the platform Applications may deploy: these repositories, these namespaces.'));
  for (const node of apps) {
    files.add(`${dir}/apps/${node.id}.yaml`, documents([appOfApps(plan, cluster, node, files)], `Sync wave ${node.wave}${node.dependsOn.length ? `: after ${node.dependsOn.join(', ')}` : ''}.`));
    resources.push(`${node.id}.yaml`);
  }
  // After the platform: the tenants, and on a hub the other clusters (once the hub is in place).
  const last = (name: string, path: string, comment: string) => {
    const wave = tenantsWave(apps);
    files.add(`${dir}/apps/${name}.yaml`, documents([lastWaveApplication(plan, name, wave, path)], `Sync wave ${wave}: ${comment}`));
    resources.push(`${name}.yaml`);
  };
  if (tenants.length > 0) last('tenants', TENANTS_DIR, `the tenants (${TENANTS_DIR}/), after the platform.`);
  if (plan.hub === cluster.name) last('fleet', fleetDir(cluster.name), `the other clusters (${fleetDir(cluster.name)}/), once this hub is in place.`);
  // The root Application is one of the resources it manages: after `kubectl apply` once, changes to
  // it arrive through git like everything else. No resources finalizer: deleting the root must never
  // cascade into deleting the platform.
  const root = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'root', namespace: ARGOCD_NAMESPACE },
    spec: {
      project: 'default',
      source: { repoURL: plan.gitRemote!, targetRevision: plan.branch, path: `${dir}/apps` },
      destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
      syncPolicy: syncPolicy({}, ['ServerSideApply=true']),
    },
  };
  files.add(`${dir}/apps/root.yaml`, documents([root], `App of apps for cluster ${cluster.name}: apply once after installing Argo CD (see ../README.md); it then manages\n${dir}/apps, itself included.`));
  resources.push('root.yaml');
  files.add(`${dir}/apps/kustomization.yaml`, kustomization(resources));
}

/** The template placeholders of the cluster generator that ApplicationSets here use. */
const GENERATED = { name: '{{.name}}', server: '{{.server}}' };

/**
 * The hub's fleet (--topology hub): an AppProject for the other clusters, an ApplicationSet per chart
 * release and config stage, whose cluster generator selects the clusters registered for this platform
 * that run the component (labels of their cluster Secrets), and those registrations.
 */
function renderFleet(files: FileSet, plan: Plan, hub: string): void {
  const dir = fleetDir(hub);
  const spokes = plan.clusters.filter((c) => c.name !== hub);
  const nodes = new Map<string, { node: AppNode; clusters: string[] }>();
  for (const cluster of spokes) {
    for (const node of clusterApps(plan, cluster)) {
      const entry = nodes.get(node.id) ?? { node, clusters: [] };
      entry.clusters.push(cluster.name);
      nodes.set(node.id, entry);
    }
  }
  const defs = [...new Set([...nodes.values()].map((n) => n.node.component))].map((id) => plan.components.find((c) => c.def.id === id)!.def);
  const project = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: FLEET_PROJECT, namespace: ARGOCD_NAMESPACE },
    spec: {
      description: `Haven+ platform components of ${plan.name} on the clusters hub ${hub} deploys to`,
      sourceRepos: [...new Set([plan.gitRemote!, ...defs.flatMap((d) => (d.controller?.releases ?? []).map((r) => r.source.url))])].sort(),
      // Registered clusters only (an Application to an unknown server fails); of those, these namespaces.
      destinations: [...new Set(defs.flatMap((d) => [...(d.controller ? [d.namespace] : []), ...(d.config ? [d.config.namespace] : []), ...chartNamespaces(plan, d, spokes)]))].sort().map((namespace) => ({ server: '*', namespace })),
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
  const resources = ['project.yaml'];
  files.add(`${dir}/project.yaml`, documents([project], 'What the ApplicationSets of the other clusters may deploy: these repositories, these namespaces.'));
  // With environments, one ApplicationSet per environment: each has that environment's versions and values
  // (its own line to change when promoting), and selects the clusters labelled with it.
  const byEnvironment = plan.environments.length > 0;
  for (const { node, clusters } of [...nodes.values()].sort((a, b) => a.node.wave - b.node.wave || a.node.id.localeCompare(b.node.id))) {
    const running = spokes.filter((c) => c.components.includes(node.component)).map((c) => c.name);
    if (running.join() !== clusters.join()) throw new Error(`internal: ${node.id} is on ${clusters.join(', ')}, its component on ${running.join(', ')}`);
    const groups = new Map<string | undefined, string[]>();
    for (const name of clusters) {
      const environment = byEnvironment ? spokes.find((c) => c.name === name)!.environment : undefined;
      groups.set(environment, [...(groups.get(environment) ?? []), name]);
    }
    for (const [environment, members] of [...groups].sort(([a], [b]) => (a ?? '').localeCompare(b ?? ''))) {
      const spec = applicationSpec(plan, { ...GENERATED, project: FLEET_PROJECT, clusters: members, environment, retries: -1 }, node, files);
      const templated = JSON.stringify(spec).match(/\{\{[^}]*\}\}/g) ?? [];
      const unknown = templated.filter((t) => !Object.values(GENERATED).includes(t));
      if (unknown.length > 0) throw new Error(`internal: ${node.id} has ${unknown.join(', ')}, which the ApplicationSet would template`);
      const matchLabels = { 'app.kubernetes.io/part-of': plan.name, [componentLabel(node.component)]: 'true', ...(environment !== undefined ? { [ENVIRONMENT_LABEL]: environment } : {}) };
      const selector = byEnvironment && environment === undefined ? { matchLabels, matchExpressions: [{ key: ENVIRONMENT_LABEL, operator: 'DoesNotExist' }] } : { matchLabels };
      const name = environment === undefined ? node.id : `${node.id}.${environment}`;
      const set = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'ApplicationSet',
        metadata: { name, namespace: ARGOCD_NAMESPACE },
        spec: {
          goTemplate: true,
          goTemplateOptions: ['missingkey=error'],
          generators: [{ clusters: { selector } }],
          // Deleting or renaming an ApplicationSet (an environment added) must never cascade into the clusters'
          // workloads: the generated Applications go, what they deployed stays until the new set adopts it.
          syncPolicy: { preserveResourcesOnDeletion: true },
          template: {
            metadata: { name: `${GENERATED.name}.${node.id}`, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
            spec,
          },
        },
      };
      const labelled = `${componentLabel(node.component)}${environment !== undefined ? ` and ${ENVIRONMENT_LABEL}=${environment}` : byEnvironment ? ' without an environment' : ''}`;
      files.add(
        `${dir}/${name}.yaml`,
        documents([set], `${node.id} on every cluster of ${plan.name} labelled ${labelled}: now ${members.join(', ')}.\nIn an app-of-apps it would be wave ${node.wave}${node.dependsOn.length ? `, after ${node.dependsOn.join(', ')}` : ''}; here it retries until those are in place.`),
      );
      resources.push(`${name}.yaml`);
    }
  }
  // Registrations that exist (sealed when their values were given; ExternalSecrets always).
  for (const spec of clusterSecretSpecs(plan, plan.clusters.find((c) => c.name === hub)!).filter((s) => s.dir === dir)) {
    const path = secretPath(spec, plan.secrets);
    const content = plan.secrets === 'external-secrets' ? externalSecret(plan, spec) : plan.secretFiles.get(path);
    if (content === undefined) continue;
    files.add(path, content);
    resources.push(posix.basename(path));
  }
  files.add(`${dir}/kustomization.yaml`, kustomization(resources));
}

export function renderArgoCD(files: FileSet, plan: Plan): void {
  for (const { def } of plan.components) {
    renderValues(files, plan, def);
    renderConfig(files, plan, def);
  }
  // With a hub, only the hub has an app-of-apps; the other clusters get their Applications from its ApplicationSets.
  for (const cluster of plan.clusters) if (plan.hub === undefined || plan.hub === cluster.name) renderCluster(files, plan, cluster);
  if (plan.hub !== undefined) renderFleet(files, plan, plan.hub);
}

/** How Argo CD installs itself on a cluster (the cluster README and the sandbox script): chart and values file. */
export function argocdBootstrap(plan: Plan) {
  if (plan.engine !== 'argocd') return undefined;
  const def = plan.components.find((c) => c.def.id === 'argocd')!.def;
  const release = def.controller!.releases[0];
  return {
    url: release.source.url,
    version: release.version,
    values: `${componentPath('argocd', 'controller')}/base/${release.name}.values.yaml`,
  };
}

/**
 * The SSH host of the repository's remote whose key Argo CD has to be given: repo-server checks host keys
 * against argocd-ssh-known-hosts-cm, which the chart fills from `configs.ssh.knownHosts` (GitHub,
 * GitLab.com, Bitbucket, Azure DevOps at the pinned version, read from its values) plus
 * `configs.ssh.extraHosts`. Undefined for an HTTPS remote, or a host the chart knows.
 */
export function argocdSshHost(plan: Plan): { host: string; port: number; values: string } | undefined {
  const bootstrap = argocdBootstrap(plan);
  if (!bootstrap || !plan.gitRemote || !isSshRemote(plan.gitRemote)) return undefined;
  let host: string;
  let port = 22;
  if (plan.gitRemote.startsWith('ssh://')) {
    const url = new URL(plan.gitRemote);
    host = url.hostname;
    if (url.port) port = Number(url.port);
  } else host = plan.gitRemote.slice(plan.gitRemote.indexOf('@') + 1, plan.gitRemote.indexOf(':'));
  const def = plan.components.find((c) => c.def.id === 'argocd')!.def;
  const release = def.controller!.releases[0];
  const chart = new ChartLibrary([BUNDLED_CHARTS]).find({ chart: release.chart, version: release.version });
  const known = (chart?.defaults as { configs?: { ssh?: { knownHosts?: unknown } } } | undefined)?.configs?.ssh?.knownHosts;
  const names = typeof known === 'string' ? known.split('\n').flatMap((line) => (line.trim().split(/\s+/)[0] ?? '').split(',')) : [];
  const entry = port === 22 ? host : `[${host}]:${port}`;
  return names.includes(entry) ? undefined : { host, port, values: bootstrap.values };
}
