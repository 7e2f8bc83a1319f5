import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { bucketsToMake, buildPlan, clusterApps, clusterStages } from '../../lib/plan.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const plan = (raw: RawAnswers) => buildPlan(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);

describe('plan', () => {
  it('pulls in dependencies and says why', () => {
    const p = plan({ provider: 'ovhcloud', components: ['postgres'] });
    // Flux's default secrets strategy (sops) needs no controller: the secrets service is there, nothing more.
    expect(p.components.map((c) => c.def.id)).toEqual(['cert-manager', 'object-storage', 'secrets', 'postgres']);
    const certManager = p.components.find((c) => c.def.id === 'cert-manager')!;
    expect(certManager.reasons[0]).toMatch(/^required by postgres: .*Barman Cloud plugin/);
  });

  it('uses the provider S3 service by default, with the profile endpoint and region', () => {
    const p = plan({ provider: 'scaleway', region: 'fr-par' });
    const os = p.clusters[0].objectStorage!;
    expect(os).toMatchObject({ backend: 'provider-s3', endpoint: 'https://s3.fr-par.scw.cloud', region: 'fr-par', pathStyle: false });
    expect(os.bucketList.map((b) => b.name)).toEqual(['platform-prod-postgres']);
    expect(p.components.map((c) => c.def.id)).not.toContain('garage');
  });

  it('chooses the backend per cluster: Garage only where the provider has no S3 service', () => {
    const p = plan({ provider: 'ovhcloud', clusters: ['prod', 'lab:local'], buckets: ['media'] });
    const [prod, lab] = p.clusters;
    expect(prod.objectStorage!.backend).toBe('provider-s3');
    expect(prod.components).not.toContain('garage');
    expect(lab.objectStorage!.backend).toBe('garage');
    expect(lab.components).toContain('garage');
    expect(lab.objectStorage!.bucketList.map((b) => b.name)).toEqual(['platform-lab-postgres', 'platform-lab-media']);
    expect(lab.instances).toBe(1);
    expect(prod.instances).toBe(3);
  });

  it('honours --object-storage garage everywhere and --s3-endpoint on the default provider', () => {
    expect(plan({ provider: 'ovhcloud', 'object-storage': 'garage' }).clusters[0].objectStorage!.backend).toBe('garage');
    const p = plan({ provider: 'generic', 'object-storage': 'provider-s3', 's3-endpoint': 'https://s3.example.nl' });
    expect(p.clusters[0].objectStorage).toMatchObject({ backend: 'provider-s3', endpoint: 'https://s3.example.nl' });
  });

  it('orders Flux stages: controllers before configs, databases after their object store', () => {
    const p = plan({ provider: 'local' });
    const stages = clusterStages(p, p.clusters[0]);
    const deps = Object.fromEntries(stages.map((s) => [s.id, s.dependsOn]));
    // cert-manager has a config stage (its ClusterIssuers); the Barman Cloud plugin needs only its CRDs and
    // webhook (upTo: controller), so the databases never wait for an ACME account.
    expect(deps).toEqual({
      'cert-manager-controller': [],
      'cert-manager-config': ['cert-manager-controller'],
      'garage-controller': [],
      'postgres-controller': ['cert-manager-controller'],
      'postgres-config': ['postgres-controller', 'garage-controller'],
    });
    // With the provider's S3 service there is nothing in the cluster to wait for.
    const s3 = plan({ provider: 'ovhcloud' });
    expect(clusterStages(s3, s3.clusters[0]).find((s) => s.id === 'postgres-config')!.dependsOn).toEqual(['postgres-controller']);
  });

  it('derives Argo CD sync waves from the same graph', () => {
    const p = plan({ provider: 'local', engine: 'argocd', 'git-remote': 'https://git.example.nl/p.git' });
    const waves = Object.fromEntries(clusterApps(p, p.clusters[0]).map((a) => [a.id, a.wave]));
    // Argo CD's default strategy is sealed-secrets: the controller comes before the config that holds SealedSecrets.
    expect(waves).toEqual({ argocd: 0, 'cert-manager': 0, 'cert-manager-config': 1, garage: 0, 'sealed-secrets-controller': 0, 'cloudnative-pg': 1, 'plugin-barman-cloud': 2, 'postgres-config': 3 });
    // Keycloak waits for the operator and the plugin, not for the postgres component's databases.
    const kc = plan({ provider: 'ovhcloud', clusters: ['prod'], engine: 'argocd', 'git-remote': 'https://git.example.nl/p.git', preset: 'haven-plus', 'keycloak-hostname': 'sso.example.nl', 'acme-email': 'a@example.nl' });
    const kcDeps = Object.fromEntries(clusterApps(kc, kc.clusters[0]).map((a) => [a.id, a.dependsOn]));
    expect(kcDeps['keycloak-config']).toContain('plugin-barman-cloud');
    expect(kcDeps['keycloak-config']).toContain('gateway-config');
    expect(kcDeps['keycloak-config']).not.toContain('postgres-config');
  });

  it('runs a policy engine first: everything but the GitOps engine and its own needs waits for it', () => {
    const p = plan({ provider: 'cyso', components: ['kyverno', 'rwx', 'postgres'], 'object-storage': 'garage' });
    const deps = Object.fromEntries(clusterStages(p, p.clusters[0]).map((s) => [s.id, s.dependsOn]));
    expect(deps['kyverno-controller']).toEqual([]);
    for (const first of ['cert-manager-controller', 'garage-controller', 'nfs-server-provisioner-controller', 'postgres-controller']) {
      expect(deps[first], first).toContain('kyverno-controller');
    }
    // Second stages wait through their first.
    expect(deps['postgres-config']).not.toContain('kyverno-controller');
    const argo = plan({ provider: 'local', engine: 'argocd', 'git-remote': 'https://git.example.nl/p.git', components: ['kyverno', 'postgres'] });
    const waves = Object.fromEntries(clusterApps(argo, argo.clusters[0]).map((a) => [a.id, a.wave]));
    expect(waves.argocd).toBe(0);
    expect(waves.kyverno).toBe(0);
    expect(waves['kyverno-policies']).toBe(1);
    for (const id of ['cert-manager', 'garage', 'sealed-secrets-controller']) expect(waves[id], id).toBe(2);
    // Pod Security exemptions: only the namespaces of components that cannot run restricted.
    expect(p.clusters[0].podSecurityExempt).toEqual(['nfs-server-provisioner']);
    expect(argo.clusters[0].podSecurityExempt).toEqual([]);
  });

  it('serves ReadWriteMany from the provider where it has a class, else from an NFS server', () => {
    const azure = plan({ provider: 'azure', components: ['rwx'] }).clusters[0];
    expect(azure.components).not.toContain('nfs-server-provisioner');
    expect(azure.rwxStorageClass).toBe('azurefile-premium-zrs-nfs');
    const cyso = plan({ provider: 'cyso', components: ['rwx'] }).clusters[0];
    expect(cyso.components).toContain('nfs-server-provisioner');
    expect(cyso.rwxStorageClass).toBe('nfs');
  });

  it('names a bucket per component purpose and refuses an extra bucket that takes one', () => {
    const p = plan({ provider: 'local', components: ['postgres'], buckets: ['media'] });
    expect(p.clusters[0].objectStorage!.bucketList).toEqual([
      { purpose: 'postgres', name: 'platform-local-postgres' },
      { purpose: 'media', name: 'platform-local-media', application: true },
    ]);
    expect(() => plan({ provider: 'local', components: ['postgres'], buckets: ['postgres'] })).toThrow(/buckets: "postgres" is already the bucket of a component/);
  });

  it('leaves the storage class to the cluster where the profile does not know it', () => {
    expect(plan({ provider: 'cyso' }).clusters[0].storageClass).toBeUndefined();
    expect(plan({ provider: 'cyso', 'storage-class': 'fast' }).clusters[0].storageClass).toBe('fast');
    expect(plan({ provider: 'ovhcloud' }).clusters[0].storageClass).toBe('csi-cinder-high-speed');
  });
});

describe('buckets a day-2 change adds on a provider\'s object storage', () => {
  const at = (raw: RawAnswers) => buildPlan(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);
  const base: RawAnswers = { provider: 'exoscale', clusters: ['prod', 'lab:local'], components: ['postgres'] };

  it('names the new buckets of clusters on the provider\'s S3 only', () => {
    const made = bucketsToMake(at(base), at({ ...base, buckets: ['media'] }));
    // lab runs Garage, whose job makes its buckets.
    expect(made.map((m) => `${m.cluster.name}: ${m.buckets.join(', ')}`)).toEqual(['prod: platform-prod-media']);
  });

  it('leaves out a first run, a new cluster (its README makes all of its buckets) and a run that adds none', () => {
    expect(bucketsToMake(undefined, at(base))).toEqual([]);
    expect(bucketsToMake(at(base), at({ ...base, clusters: ['prod', 'lab:local', 'acc'], buckets: ['media'] })).map((m) => m.cluster.name)).toEqual(['prod']);
    expect(bucketsToMake(at(base), at({ ...base, storageClass: 'fast' }))).toEqual([]);
  });
});

describe('application buckets in the cluster README', () => {
  const readme = (raw: RawAnswers) => render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog).files.get('clusters/prod/README.md')!;
  it('say how an application gets a key for its bucket, with the endpoint, region and addressing it reads', () => {
    const text = readme({ provider: 'exoscale', components: ['object-storage'], buckets: ['media'] });
    expect(text).toContain('Application buckets (`platform-prod-media`, made for\nyour applications) get no credential here');
    expect(text).toContain('The application reads endpoint `https://sos-de-fra-1.exo.io`, region\n`de-fra-1`, virtual-hosted-style addressing');
    expect(readme({ provider: 'exoscale', components: ['object-storage'] })).not.toContain('Application buckets');
  });
});
