/**
 * Argo CD delivery: per cluster a root Application (app-of-apps, applied once by hand) that manages
 * an AppProject and one Application per chart release and per config stage. Sync waves come from
 * the same dependency graph as Flux's dependsOn; the Application health check installed with Argo CD
 * makes each wave wait until the previous one is healthy.
 */
import type { ComponentDef } from '../catalog.js';
import type { FileSet } from '../fileset.js';
import { clusterApps, type AppNode, type Plan, type PlannedCluster } from '../plan.js';
import { clusterValues, clustersRunning, componentPath, renderConfig, renderSecrets } from './components.js';
import { DESCRIPTION_ANNOTATION, documents, kustomization, podSecurityLabels } from './manifests.js';
import { toYaml } from './template.js';
import { TENANTS_DIR, tenantsWave } from './tenants.js';

export const ARGOCD_NAMESPACE = 'argocd';
export const PROJECT = 'platform';
const IN_CLUSTER = 'https://kubernetes.default.svc';

const valuesFile = (def: ComponentDef, release: string, where: string) => `${componentPath(def.id, 'controller')}/${where}/${release}.values.yaml`;

/** Where the Secrets a chart reads at install time live: the controller overlay (a kustomization of just them). */
const controllerSecretsDir = (def: ComponentDef, cluster: string) => `${componentPath(def.id, 'controller')}/overlays/${cluster}`;

function renderValues(files: FileSet, plan: Plan, def: ComponentDef): void {
  for (const r of def.controller?.releases ?? []) {
    if (Object.keys(r.values).length > 0) files.add(valuesFile(def, r.name, 'base'), toYaml(r.values));
    for (const cluster of clustersRunning(plan, def.id)) {
      const values = clusterValues(def, r, plan, cluster);
      if (Object.keys(values).length > 0) files.add(valuesFile(def, r.name, `overlays/${cluster.name}`), toYaml(values));
    }
  }
  if (!def.controller) return;
  for (const cluster of clustersRunning(plan, def.id)) {
    const secrets = renderSecrets(files, plan, def, cluster, 'controller');
    if (secrets.length > 0) files.add(`${controllerSecretsDir(def, cluster.name)}/kustomization.yaml`, kustomization(secrets));
  }
}

/** Labels (and the description) of a namespace Argo CD creates for a chart release. */
function namespaceMetadata(plan: Plan, def: ComponentDef): Record<string, unknown> {
  const description = plan.answers.description;
  return { labels: podSecurityLabels(def.podSecurity), ...(description ? { annotations: { [DESCRIPTION_ANNOTATION]: description } } : {}) };
}

const syncPolicy = (extra: Record<string, unknown>, options: string[]) => ({
  automated: { prune: true, selfHeal: true },
  syncOptions: options,
  ...extra,
  retry: { limit: 10, backoff: { duration: '30s', factor: 2, maxDuration: '10m' } },
});

function application(plan: Plan, cluster: PlannedCluster, node: AppNode, files: FileSet): Record<string, unknown> {
  const def = plan.components.find((c) => c.def.id === node.component)!.def;
  const repoURL = plan.gitRemote!;
  let spec: Record<string, unknown>;
  if (node.release?.kind === 'manifests') {
    // Upstream manifests (CRDs) at a tag; never pruned: removing CRDs would delete every object of their kinds.
    const r = node.release;
    spec = {
      project: PROJECT,
      source: { repoURL: r.source.url, path: r.chart, targetRevision: r.version, ...(r.patches.length > 0 ? { kustomize: { patches: r.patches } } : {}) },
      destination: { server: IN_CLUSTER, namespace: def.namespace },
      syncPolicy: {
        ...syncPolicy({ managedNamespaceMetadata: namespaceMetadata(plan, def) }, ['CreateNamespace=true', 'ServerSideApply=true']),
        automated: { prune: false, selfHeal: true },
      },
    };
  } else if (node.release) {
    const r = node.release;
    const valueFiles = [valuesFile(def, r.name, 'base'), valuesFile(def, r.name, `overlays/${cluster.name}`)]
      .filter((f) => files.has(f))
      .map((f) => `$values/${f}`);
    // Argo CD reads an OCI chart natively (oci:// repoURL, path "."), a git chart by path, a Helm repository chart by name.
    const chartSource: Record<string, unknown> =
      r.source.type === 'git'
        ? { repoURL: r.source.url, path: r.chart, targetRevision: r.version }
        : r.source.type === 'oci'
          ? { repoURL: r.source.url, path: '.', targetRevision: r.version }
          : { repoURL: r.source.url, chart: r.chart, targetRevision: r.version };
    chartSource.helm = { releaseName: r.name, ...(valueFiles.length > 0 ? { valueFiles } : {}) };
    const sources: Record<string, unknown>[] = [chartSource, { repoURL, targetRevision: plan.branch, ref: 'values' }];
    // Secrets the chart reads at install come with the component's first release, in the same sync
    // (Argo CD applies Secrets before workloads).
    const secretsDir = controllerSecretsDir(def, cluster.name);
    if (def.controller!.releases[0] === r && files.has(`${secretsDir}/kustomization.yaml`)) sources.push({ repoURL, targetRevision: plan.branch, path: secretsDir });
    spec = {
      project: PROJECT,
      sources,
      destination: { server: IN_CLUSTER, namespace: def.namespace },
      syncPolicy: syncPolicy({ managedNamespaceMetadata: namespaceMetadata(plan, def) }, [
        'CreateNamespace=true',
        'ServerSideApply=true',
        ...(r.ignoreDifferences.length > 0 ? ['RespectIgnoreDifferences=true'] : []),
      ]),
      ...(r.ignoreDifferences.length > 0 ? { ignoreDifferences: r.ignoreDifferences } : {}),
    };
  } else {
    spec = {
      project: PROJECT,
      source: { repoURL, targetRevision: plan.branch, path: `${componentPath(def.id, 'config')}/overlays/${cluster.name}` },
      destination: { server: IN_CLUSTER, namespace: def.config!.namespace },
      syncPolicy: syncPolicy({}, ['ServerSideApply=true']),
    };
  }
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: node.id,
      namespace: ARGOCD_NAMESPACE,
      annotations: { 'argocd.argoproj.io/sync-wave': String(node.wave) },
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec,
  };
}

function renderCluster(files: FileSet, plan: Plan, cluster: PlannedCluster): void {
  const dir = `clusters/${cluster.name}`;
  const apps = clusterApps(plan, cluster);
  const defs = cluster.components.map((id) => plan.components.find((c) => c.def.id === id)!.def);
  const tenants = plan.answers.tenants.map((t) => t.name);
  const namespaces = [...new Set([...defs.flatMap((d) => [...(d.controller ? [d.namespace] : []), ...(d.config ? [d.config.namespace] : [])]), ...tenants])].sort();
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
    files.add(`${dir}/apps/${node.id}.yaml`, documents([application(plan, cluster, node, files)], `Sync wave ${node.wave}${node.dependsOn.length ? `: after ${node.dependsOn.join(', ')}` : ''}.`));
    resources.push(`${node.id}.yaml`);
  }
  if (tenants.length > 0) {
    const wave = tenantsWave(apps);
    const app = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'tenants', namespace: ARGOCD_NAMESPACE, annotations: { 'argocd.argoproj.io/sync-wave': String(wave) }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: PROJECT,
        source: { repoURL: plan.gitRemote!, targetRevision: plan.branch, path: TENANTS_DIR },
        destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
        syncPolicy: syncPolicy({}, ['ServerSideApply=true']),
      },
    };
    files.add(`${dir}/apps/tenants.yaml`, documents([app], `Sync wave ${wave}: the tenants (${TENANTS_DIR}/), after the platform.`));
    resources.push('tenants.yaml');
  }
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

export function renderArgoCD(files: FileSet, plan: Plan): void {
  for (const { def } of plan.components) {
    renderValues(files, plan, def);
    renderConfig(files, plan, def);
  }
  for (const cluster of plan.clusters) renderCluster(files, plan, cluster);
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
