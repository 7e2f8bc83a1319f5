/**
 * Argo CD hub (--topology hub): the Applications the hub's ApplicationSets generate for a cluster
 * must deploy exactly what that cluster's own app-of-apps deploys with --topology per-cluster, and the
 * validator must expand them from the registrations (and fail where Argo CD would).
 */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { AnswersError } from '../../lib/errors.js';
import { loadCatalog } from '../../lib/catalog.js';
import { FileSet } from '../../lib/fileset.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import { expandApplicationSets, registrationsIn, selects } from '../../lib/validate/applicationset.js';
import { normalUrl } from '../../lib/validate/structure.js';
import { buildKustomization, objectsOf, type K8sObject } from '../../lib/validate/build.js';
import { validateFiles } from '../../lib/validate/repository.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const answers = (raw: RawAnswers) => resolveAnswers(withDefaults(raw, ctx), ctx);

const FLEET: RawAnswers = {
  engine: 'argocd',
  provider: 'ovhcloud',
  clusters: ['mgmt', 'west:scaleway', 'east', 'lab'],
  'cluster-settings': ['west.environment=production', 'east.environment=production', 'east.domain=apps.east.gemeente.nl', 'lab.environment=test'],
  'cluster-components': ['east=external-dns', 'lab=metrics-server'],
  preset: 'haven-plus',
  databases: ['app'],
  domain: 'apps.gemeente.nl',
  'keycloak-hostname': 'sso.{cluster}.gemeente.nl',
  'acme-email': 'platform@gemeente.nl',
  secrets: 'external-secrets',
  'secret-store': 'openbao',
  'git-remote': 'https://git.example.nl/platform.git',
};
const HUB = { ...FLEET, topology: 'hub', 'hub-cluster': 'mgmt' };

/** What an Application deploys, without where it is run from: its sources and destination namespace. */
function deploys(app: K8sObject): string {
  const spec = app.spec as { sources?: unknown[]; source?: unknown; destination: { namespace: string }; syncPolicy: { syncOptions: string[]; managedNamespaceMetadata?: unknown }; ignoreDifferences?: unknown };
  return JSON.stringify({ sources: spec.sources ?? [spec.source], namespace: spec.destination.namespace, options: spec.syncPolicy.syncOptions, ns: spec.syncPolicy.managedNamespaceMetadata, ignore: spec.ignoreDifferences });
}

/** A cluster's own Applications (per-cluster topology), by release, without the root and its fleet. */
function ownApplications(files: FileSet, cluster: string): Map<string, string> {
  const apps = buildKustomization(files, `clusters/${cluster}/apps`).objects.map((b) => b.object).filter((o) => o.kind === 'Application' && !['root', 'tenants', 'fleet', 'argocd'].includes(o.metadata!.name!));
  return new Map(apps.map((a) => [a.metadata!.name!, deploys(a)]));
}

describe('Argo CD hub', () => {
  const perCluster = render(answers(FLEET), catalog).files;
  const hub = render(answers(HUB), catalog).files;
  const fleet = buildKustomization(hub, 'clusters/mgmt/fleet');

  it('gives every other cluster, through the ApplicationSets, exactly the Applications of its own app-of-apps', () => {
    expect(fleet.errors).toEqual([]);
    const registrations = registrationsIn(fleet.objects);
    expect(registrations.map((r) => r.name)).toEqual(['west', 'east', 'lab']);
    const { generated, findings } = expandApplicationSets(hub, fleet.objects, new Set([normalUrl(FLEET['git-remote'] as string)]));
    expect(findings).toEqual([]);
    for (const cluster of ['west', 'east', 'lab']) {
      const own = ownApplications(perCluster, cluster);
      expect(own.size).toBeGreaterThan(15);
      const made = new Map(generated.get(cluster)!.map((b) => [b.object.metadata!.name!.replace(`${cluster}.`, ''), deploys(b.object)]));
      expect([...made.keys()].sort(), cluster).toEqual([...own.keys()].sort());
      for (const [name, what] of own) {
        // Value files of an ApplicationSet name every cluster's overlay; a cluster without one is skipped (ignoreMissingValueFiles).
        expect(made.get(name)!.replace(',"ignoreMissingValueFiles":true', ''), `${name} on ${cluster}`).toBe(what);
      }
      for (const b of generated.get(cluster)!) {
        expect(b.object.spec!.destination).toEqual({ server: `https://${cluster}.cluster.invalid`, namespace: expect.any(String) });
        expect(b.object.spec!.project).toBe('fleet');
      }
    }
    // Components of one cluster only reach that cluster.
    expect(generated.get('east')!.some((b) => b.object.metadata!.name === 'east.external-dns')).toBe(true);
    expect(generated.get('west')!.some((b) => b.object.metadata!.name!.includes('external-dns'))).toBe(false);
    expect(generated.get('lab')!.some((b) => b.object.metadata!.name === 'lab.metrics-server')).toBe(true);
  });

  it('runs Argo CD on the hub only, and the hub keeps its own app-of-apps with the fleet last', () => {
    expect(hub.paths().filter((p) => /^clusters\/[^/]+\/apps\//.test(p)).every((p) => p.startsWith('clusters/mgmt/'))).toBe(true);
    expect(hub.has('infrastructure/argocd/controller/overlays/west/argocd.values.yaml')).toBe(false);
    const waves = objectsOf(hub.get('clusters/mgmt/apps/fleet.yaml')!)[0].metadata!.annotations!['argocd.argoproj.io/sync-wave'];
    const others = buildKustomization(hub, 'clusters/mgmt/apps').objects.filter((b) => b.object.kind === 'Application' && b.object.metadata!.name !== 'fleet' && b.object.metadata!.name !== 'root');
    expect(others.every((b) => Number(b.object.metadata!.annotations!['argocd.argoproj.io/sync-wave']) < Number(waves))).toBe(true);
    // The registration's labels select; its server and credentials come from the store.
    const west = fleet.objects.find((b) => b.object.kind === 'ExternalSecret' && b.object.metadata!.name === 'cluster-west')!.object;
    expect(JSON.stringify(west)).toContain('"key":"platform/mgmt/cluster-west","property":"config"');
    expect((west.spec as { target: { template: { data: unknown } } }).target.template.data).toEqual({ name: 'west' });
  });

  it('validates, and fails where Argo CD would: a missing overlay, a label the template needs, an unknown parameter', async () => {
    const clean = await validateFiles(hub, { catalog });
    expect(clean.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // Namespaces, CRDs and projects are checked on the generated Applications.
    expect(clean.stats.chartValues).toBeGreaterThan(40);

    const broken = new FileSet();
    for (const [p, t] of hub.entries()) if (!p.startsWith('infrastructure/cert-manager/config/overlays/lab/')) broken.add(p, t);
    const set = broken.get('clusters/mgmt/fleet/loki.production.yaml')!;
    broken.replace('clusters/mgmt/fleet/loki.production.yaml', set.replace('name: "{{.name}}.loki"', 'name: \'{{.name}}.loki-{{index .metadata.labels "haven-plus/tier"}}\''));
    const mimir = broken.get('clusters/mgmt/fleet/mimir.production.yaml')!;
    broken.replace('clusters/mgmt/fleet/mimir.production.yaml', mimir.replace('name: "{{.name}}.mimir"', 'name: "{{.cluster}}.mimir"'));
    const errors = (await validateFiles(broken, { catalog })).findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`);
    expect(errors).toContain('clusters/mgmt/fleet/cert-manager-config.test.yaml: ApplicationSet argocd/cert-manager-config.test for cluster lab: source path infrastructure/cert-manager/config/overlays/lab does not exist');
    expect(errors).toContain('clusters/mgmt/fleet/loki.production.yaml: for cluster west: {{.name}}.loki-{{index .metadata.labels "haven-plus/tier"}}: index "haven-plus/tier" renders an empty string: cluster west has no label or annotation haven-plus/tier (clusters/mgmt/fleet/cluster-west.external-secret.yaml)');
    // missingkey=error, as the generated sets ask: Go's own message.
    expect(errors).toContain('clusters/mgmt/fleet/mimir.production.yaml: for cluster east: {{.cluster}}.mimir: .cluster: map has no entry for key "cluster"');
  });

  it('selects clusters by labels as Kubernetes does', () => {
    const labels = { a: '1', b: '2' };
    expect(selects({ matchLabels: { a: '1' } }, labels)).toBe(true);
    expect(selects({ matchLabels: { a: '2' } }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'b', operator: 'In', values: ['2', '3'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['1'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['0'] }] }, labels)).toBe(false);
  });

  it('refuses a hub where it cannot work, naming the answer and what is allowed', () => {
    const problem = (raw: RawAnswers) => {
      try {
        answers(raw);
      } catch (error) {
        if (error instanceof AnswersError) return error.message;
        throw error;
      }
      return 'accepted';
    };
    expect(problem({ ...HUB, engine: 'flux' })).toContain('hub needs --engine argocd');
    expect(problem({ ...HUB, clusters: ['mgmt', 'laptop:local'] })).toContain('laptop is a local sandbox');
    expect(problem({ ...HUB, clusters: ['mgmt'], 'cluster-settings': [], 'cluster-components': [] })).toContain('hub needs at least two clusters');
    expect(problem({ ...HUB, 'hub-cluster': 'north' })).toContain('"north" is not a cluster of this platform (clusters: mgmt, west, east, lab)');
    expect(problem({ ...FLEET, 'hub-cluster': 'mgmt' })).toContain('hub-cluster: is only used with --topology hub');
    expect(answers({ ...HUB, 'hub-cluster': undefined }).hubCluster).toBe('mgmt');
  });
});
