/**
 * Tenants: teams that deploy their own applications from their own git repository into their own
 * namespace, with no more rights than namespace admin there. The platform creates the namespace (Pod
 * Security restricted), and
 * - Flux: a ServiceAccount bound to the ClusterRole admin in that namespace, and a GitRepository +
 *   Kustomization that apply the tenant's repository as that ServiceAccount (Flux multi-tenancy);
 * - Argo CD: an AppProject that allows only the tenant's repository and namespace, no cluster-scoped
 *   objects, and an Application that syncs the repository into the namespace.
 * tenants/<name>/ holds each tenant; clusters/<c>/ applies tenants/ after the platform components.
 */
import type { FileSet } from '../fileset.js';
import type { AppNode, Plan, StageNode } from '../plan.js';
import { documents, kustomization, namespaceObject } from './manifests.js';

export const TENANTS_DIR = 'tenants';
const ARGOCD_NAMESPACE = 'argocd';

function fluxTenant(plan: Plan, name: string, url: string): Record<string, unknown>[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: name },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${name}-reconciler`, namespace: name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'ServiceAccount', name, namespace: name }],
    },
    {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name, namespace: name },
      spec: { interval: '5m', url, ref: { branch: plan.branch } },
    },
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace: name },
      spec: {
        interval: '10m',
        path: './',
        prune: true,
        targetNamespace: name,
        // Applied with the tenant's own ServiceAccount: namespace admin, nothing cluster-wide.
        serviceAccountName: name,
        sourceRef: { kind: 'GitRepository', name },
      },
    },
  ];
}

function argoTenant(plan: Plan, name: string, url: string): Record<string, unknown>[] {
  const destination = { server: 'https://kubernetes.default.svc', namespace: name };
  return [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      // Before the tenant's Application in the same sync.
      metadata: { name, namespace: ARGOCD_NAMESPACE, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } },
      spec: {
        description: `Tenant ${name}: its repository, its namespace, nothing cluster-wide`,
        sourceRepos: [url],
        destinations: [destination],
        clusterResourceWhitelist: [],
        namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }, { group: '', kind: 'LimitRange' }],
      },
    },
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: `tenant-${name}`, namespace: ARGOCD_NAMESPACE, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: name,
        source: { repoURL: url, targetRevision: plan.branch, path: '.' },
        destination,
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['ServerSideApply=true'] },
      },
    },
  ];
}

/** tenants/<name>/ for every tenant and tenants/kustomization.yaml listing them. */
export function renderTenants(files: FileSet, plan: Plan): void {
  if (plan.answers.tenants.length === 0) return;
  for (const { name, url } of plan.answers.tenants) {
    const dir = `${TENANTS_DIR}/${name}`;
    files.add(`${dir}/namespace.yaml`, documents([namespaceObject(name, 'restricted', plan)], `Tenant ${name}: applications from ${url}.`));
    files.add(`${dir}/tenant.yaml`, documents(plan.engine === 'flux' ? fluxTenant(plan, name, url) : argoTenant(plan, name, url)));
    files.add(`${dir}/kustomization.yaml`, kustomization(['namespace.yaml', 'tenant.yaml']));
  }
  files.add(`${TENANTS_DIR}/kustomization.yaml`, kustomization(plan.answers.tenants.map((t) => t.name)));
}

/** Flux: the Kustomization applying tenants/ on a cluster, after every platform component. */
export function fluxTenantsKustomization(stages: StageNode[], source: { kind: string; name: string }, namespace: string): Record<string, unknown> {
  const last = [...new Set(stages.map((s) => s.component))].map((c) => stages.filter((s) => s.component === c).at(-1)!.id);
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'tenants', namespace },
    spec: {
      interval: '15m',
      retryInterval: '2m',
      timeout: '5m',
      path: `./${TENANTS_DIR}`,
      prune: true,
      wait: true,
      sourceRef: source,
      ...(last.length > 0 ? { dependsOn: last.sort().map((name) => ({ name })) } : {}),
    },
  };
}

/** Argo CD: the sync wave after every platform Application of the cluster. */
export function tenantsWave(apps: AppNode[]): number {
  return apps.reduce((w, a) => Math.max(w, a.wave + 1), 0);
}
