/**
 * Engine-neutral parts of each component: the config stage (plain manifests as a kustomize base
 * with one overlay per cluster) and per-cluster chart values. Flux and Argo CD deliver the same files.
 */
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import type { ComponentDef, Release, Stage } from '../catalog.js';
import type { FileSet } from '../fileset.js';
import type { Plan, PlannedCluster } from '../plan.js';
import { documents, kustomization, namespaceObject } from './manifests.js';
import { mirrorValueStrings } from '../mirror.js';
import { secretFileName, secretPath, secretSpec, type SecretSpec } from '../secrets/specs.js';
import { normalizeYaml, renderTemplate } from './template.js';
import type { OverlayRenderer, ProfileOverlays } from './fleet.js';

export const componentPath = (id: string, stage: string) => `infrastructure/${id}/${stage}`;

function outputName(template: string): string {
  return template.replace(/\.hbs$/, '');
}

function isEmptyYaml(text: string): boolean {
  return text.split('\n').every((l) => l.trim() === '' || l.trim() === '---' || l.trim().startsWith('#'));
}

/**
 * Renders the config stage of a component: base once, and an overlay per cluster that runs it (or,
 * with shared overlays, the cluster's place in a profile overlay).
 */
export function renderConfig(files: FileSet, plan: Plan, def: ComponentDef, profiles?: ProfileOverlays): void {
  const config = def.config;
  if (!config) return;
  const dir = componentPath(def.id, 'config');
  const base: string[] = [];
  // A config stage in the controller's own namespace: the controller stage owns the Namespace.
  if (!(def.controller && config.namespace === def.namespace)) {
    files.add(`${dir}/base/namespace.yaml`, documents([namespaceObject(config.namespace, def.podSecurity, plan)]));
    base.push('namespace.yaml');
  }
  const ctx = { plan, component: def, namespace: config.namespace };
  for (const template of config.base) {
    const text = renderTemplate(join(def.dir, template), ctx);
    if (isEmptyYaml(text)) continue;
    files.add(`${dir}/base/${outputName(template)}`, normalizeYaml(text, template));
    base.push(outputName(template));
  }
  files.add(`${dir}/base/kustomization.yaml`, kustomization(base));

  renderOverlays(files, plan, def, 'config', (into, cluster, overlay) => renderConfigOverlay(into, plan, def, cluster, overlay), profiles);
}

/** A stage's overlays: one per cluster that runs the component, or each cluster's place in a shared profile overlay. */
export function renderOverlays(files: FileSet, plan: Plan, def: ComponentDef, stage: Stage, render: OverlayRenderer, profiles?: ProfileOverlays): void {
  for (const cluster of clustersRunning(plan, def.id)) {
    if (profiles) profiles.overlay(files, def, stage, cluster, render);
    else render(files, cluster, `${componentPath(def.id, stage)}/overlays/${cluster.name}`);
  }
}

/** One overlay of the config stage: the cluster's own resources, Secrets and patches over the base. */
function renderConfigOverlay(files: FileSet, plan: Plan, def: ComponentDef, cluster: PlannedCluster, overlay: string): void {
  const config = def.config!;
  const clusterCtx = { plan, component: def, namespace: config.namespace, cluster };
  const resources = ['../../base'];
  for (const template of config.resources) {
    const text = renderTemplate(join(def.dir, template), clusterCtx);
    if (isEmptyYaml(text)) continue;
    files.add(`${overlay}/${outputName(template)}`, normalizeYaml(text, template));
    resources.push(outputName(template));
  }
  resources.push(...renderSecrets(files, plan, def, cluster, 'config', overlay));
  const patches: string[] = [];
  for (const template of config.patches) {
    // One patch per file: kustomize applies each patch file to the object it names.
    for (const doc of parseAllDocuments(renderTemplate(join(def.dir, template), clusterCtx))) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
      if (!obj) continue;
      const name = `patch-${String(obj.kind).toLowerCase()}-${obj.metadata?.name}.yaml`;
      files.add(`${overlay}/${name}`, documents([obj]));
      patches.push(name);
    }
  }
  files.add(`${overlay}/kustomization.yaml`, kustomization(resources, patches));
}

/**
 * The Secrets a component reads on a cluster in one stage: an ExternalSecret (a reference, always
 * rendered), or the encrypted/sealed file made before rendering, written into the stage's overlay
 * (`dir`, by default the cluster's). A Secret without a file is listed in the README. Returns the file names added.
 */
export function renderSecrets(files: FileSet, plan: Plan, def: ComponentDef, cluster: PlannedCluster, stage: Stage, dir?: string): string[] {
  const added: string[] = [];
  for (const s of def.secrets.filter((d) => d.stage === stage)) {
    const spec = secretSpec(def, s, cluster);
    const path = secretPath(spec, plan.secrets);
    const content = plan.secrets === 'external-secrets' ? externalSecret(plan, spec) : plan.secretFiles.get(path);
    if (content === undefined) continue;
    files.add(dir === undefined ? path : `${dir}/${secretFileName(plan.secrets, s.name)}`, content);
    added.push(secretFileName(plan.secrets, s.name));
  }
  return added;
}

/** Where an ExternalSecret looks in the store: <platform>/<cluster>/<secret>, one property per key. */
export const remoteKey = (plan: Plan, spec: SecretSpec) => `${plan.name}/${spec.cluster}/${spec.name}`;

export function externalSecret(plan: Plan, spec: SecretSpec): string {
  return documents(
    [
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: spec.name, namespace: spec.namespace },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { kind: 'ClusterSecretStore', name: plan.answers.secretStore },
          target: {
            name: spec.name,
            creationPolicy: 'Owner',
            deletionPolicy: 'Retain',
            // Labels and values that are not secret come from git: merged into the Secret with those read from the store.
            ...(spec.labels || spec.literals ? { template: { engineVersion: 'v2', mergePolicy: 'Merge', metadata: { labels: spec.labels ?? {} }, data: spec.literals ?? {} } } : {}),
          },
          data: spec.keys.map((k) => ({ secretKey: k.name, remoteRef: { key: remoteKey(plan, spec), property: k.name } })),
        },
      },
    ],
    `${spec.description}: read from ClusterSecretStore ${plan.answers.secretStore}, key ${remoteKey(plan, spec)}.`,
  );
}

/** Per-cluster chart values of a release (empty when the release has none). */
export function clusterValues(def: ComponentDef, release: Release, plan: Plan, cluster: PlannedCluster): Record<string, unknown> {
  if (!release.clusterValues) return {};
  const text = renderTemplate(join(def.dir, release.clusterValues), { plan, component: def, cluster });
  // Images a cluster's values name (an external-dns webhook from the provider profile) come through the mirror too.
  return (mirrorValueStrings(parse(text, { uniqueKeys: true }) as Record<string, unknown> | null, plan.answers.registryMirror) as Record<string, unknown> | null) ?? {};
}

/** Clusters that run a component. */
export function clustersRunning(plan: Plan, id: string): PlannedCluster[] {
  return plan.clusters.filter((c) => c.components.includes(id));
}

/** The names of the clusters of an environment that run a component. */
export const clustersIn = (plan: Plan, id: string, environment: string): string[] => clustersRunning(plan, id).filter((c) => c.environment === environment).map((c) => c.name);
