/**
 * Fleets through the bin: a clusters file (name, provider, environment, region, domain, storage class,
 * S3 endpoint, components per cluster) becomes clusters with settings of their own, stored for re-runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { git, runBin, tempDir } from '../helpers.js';

const FLEET = `# Three environments on two providers while the organisation migrates.
clusters:
  - name: test
    environment: test
  - name: acc
    provider: scaleway
    environment: acceptance
    region: nl-ams
  - name: prod
    provider: ovhcloud
    environment: production
    region: sbg
    storage-class: csi-cinder-classic
    domain: apps.gemeente.nl
    components: [velero, external-dns, gateway]
`;

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');

describe('fleets: --clusters-file', () => {
  it('gives each cluster its own provider, environment, region, storage class, domain and components; re-runs change nothing', async () => {
    const cwd = tempDir('fleet-');
    writeFileSync(join(cwd, 'clusters.yaml'), FLEET);
    const r = await runBin(['fleet', '--yes', '--clusters-file', 'clusters.yaml', '--components', 'postgres'], { cwd });
    expect(r.exitCode, r.all).toBe(0);
    const dir = join(cwd, 'fleet');

    expect(read(dir, 'infrastructure/postgres/config/overlays/acc/object-stores.yaml')).toContain('endpointURL: https://s3.nl-ams.scw.cloud');
    expect(read(dir, 'infrastructure/postgres/config/overlays/prod/object-stores.yaml')).toContain('endpointURL: https://s3.sbg.io.cloud.ovh.net');
    expect(read(dir, 'infrastructure/postgres/config/overlays/prod/patch-cluster-app.yaml')).toContain('storageClass: csi-cinder-classic');
    // ExternalDNS runs on prod only, in prod's own zone: no platform-wide --domain was needed.
    const dns = parse(read(dir, 'infrastructure/external-dns/controller/overlays/prod/external-dns-values.yaml'));
    expect(dns.spec.values.domainFilters).toEqual(['apps.gemeente.nl']);
    expect(existsSync(join(dir, 'clusters/acc/infrastructure/external-dns.yaml'))).toBe(false);
    expect(read(dir, 'README.md')).toContain('| [acc](clusters/acc/README.md) | acceptance | Scaleway');

    const stored = JSON.parse(read(dir, '.yo-rc.json'))['generator-haven-plus'].answers;
    expect(stored.clusters).toEqual(['test', 'acc:scaleway', 'prod:ovhcloud']);
    expect(stored['cluster-settings']).toEqual([
      'test.environment=test',
      'acc.environment=acceptance',
      'acc.region=nl-ams',
      'prod.environment=production',
      'prod.region=sbg',
      'prod.domain=apps.gemeente.nl',
      'prod.storage-class=csi-cinder-classic',
    ]);
    expect(stored['cluster-components']).toEqual(['prod=velero', 'prod=external-dns', 'prod=gateway']);

    const head = await git(dir, ['rev-parse', 'HEAD']);
    const again = await runBin([], { cwd: dir });
    expect(again.exitCode, again.all).toBe(0);
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await git(dir, ['status', '--porcelain'])).toBe('');

    // A new cluster through the subcommand keeps the others' settings.
    const added = await runBin(['cluster', 'lab', '--provider', 'local'], { cwd: dir });
    expect(added.exitCode, added.all).toBe(0);
    expect(JSON.parse(read(dir, '.yo-rc.json'))['generator-haven-plus'].answers['cluster-settings']).toEqual(stored['cluster-settings']);
    expect(read(dir, 'infrastructure/postgres/config/overlays/prod/patch-cluster-app.yaml')).toContain('storageClass: csi-cinder-classic');
  });

  it('refuses a malformed clusters file and bad settings, naming each, writing nothing', async () => {
    const cwd = tempDir('fleet-bad-');
    writeFileSync(join(cwd, 'bad.yaml'), 'clusters:\n  - name: test\n    enviroment: test\n  - name: prod\n    region: "sbg,gra"\n  - provider: scaleway\n');
    const r = await runBin(['bad', '--yes', '--clusters-file', 'bad.yaml'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.all).toContain('clusters-file: bad.yaml, cluster 1: "enviroment" is not a cluster key');
    expect(r.all).toContain('allowed: name, provider, components, environment, region, domain, storage-class, s3-endpoint');
    expect(r.all).toContain('bad.yaml, cluster 2: region must be a non-empty string without commas, got "sbg,gra"');
    expect(r.all).toContain('bad.yaml, cluster 3 has no name');
    expect(existsSync(join(cwd, 'bad'))).toBe(false);

    const s = await runBin(['bad', '--yes', '--clusters', 'a,b', '--cluster-settings', 'a.zone=x,c.region=y,b.domain=-bad,a.region=x,a.region=y'], { cwd });
    expect(s.exitCode).toBe(2);
    expect(s.all).toContain('cluster-settings: "zone" is not a cluster setting (environment, region, domain, storage-class, s3-endpoint, load-balancer-addresses)');
    expect(s.all).toContain('cluster-settings: "c" is not one of the clusters (a, b)');
    expect(s.all).toContain('cluster-settings: cluster b: domain "-bad" is not a DNS-1123 subdomain');
    expect(s.all).toContain('cluster-settings: "a.region" is given twice');
    expect(existsSync(join(cwd, 'bad'))).toBe(false);
  });

  it('--overlays per-profile: one overlay per profile and environment, SOPS Secrets in thin cluster overlays, valid with kubectl; switching back removes them', async () => {
    const cwd = tempDir('fleet-profiles-');
    const keyFile = join(cwd, 'keys.txt');
    writeFileSync(join(cwd, 'clusters.yaml'), FLEET.replace('    components: [velero, external-dns, gateway]\n', '') + '  - name: prod2\n    provider: ovhcloud\n    environment: production\n');
    const env = { SOPS_AGE_KEY_FILE: keyFile, HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_ACCESS_KEY_ID: 'GKfleet0123456789', HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_SECRET_ACCESS_KEY: 'fleet-secret-7d2e84b6f3a1' };
    const r = await runBin(['fleet', '--yes', '--clusters-file', 'clusters.yaml', '--components', 'postgres', '--overlays', 'per-profile', '--age-generate'], { cwd, env });
    expect(r.exitCode, r.all).toBe(0);
    const dir = join(cwd, 'fleet');

    // prod (sbg, its own storage class) and prod2 share the production overlay; their own values are variables.
    const shared = 'infrastructure/postgres/config/profiles/ovhcloud-production';
    expect(read(dir, `${shared}/object-stores.yaml`)).toContain('endpointURL: ${s3_endpoint}');
    expect(read(dir, `${shared}/patch-cluster-app.yaml`)).toContain('storageClass: ${storage_class}');
    expect(parse(read(dir, 'clusters/prod/cluster-vars.yaml')).data).toMatchObject({ cluster_name: 'prod', s3_endpoint: 'https://s3.sbg.io.cloud.ovh.net', storage_class: 'csi-cinder-classic' });
    expect(parse(read(dir, 'clusters/prod2/cluster-vars.yaml')).data).toMatchObject({ cluster_name: 'prod2', s3_endpoint: 'https://s3.gra.io.cloud.ovh.net' });
    expect(existsSync(join(dir, 'infrastructure/postgres/config/profiles/scaleway-acceptance/kustomization.yaml'))).toBe(true);
    // Each cluster's encrypted Secret sits in a thin overlay of its own over the shared one.
    for (const c of ['test', 'acc', 'prod', 'prod2']) {
      const thin = parse(read(dir, `infrastructure/postgres/config/overlays/${c}/kustomization.yaml`));
      expect(thin.resources[1]).toBe('s3-credentials.sops.yaml');
      expect(read(dir, `infrastructure/postgres/config/overlays/${c}/s3-credentials.sops.yaml`)).toContain('ENC[AES256_GCM');
    }
    expect(parse(read(dir, 'infrastructure/postgres/config/overlays/prod2/kustomization.yaml')).resources[0]).toBe('../../profiles/ovhcloud-production');
    const k = parseAllDocuments(read(dir, 'clusters/prod2/infrastructure/postgres.yaml')).map((d) => d.toJS());
    expect(k.map((o) => o.spec.path)).toEqual(['./infrastructure/postgres/controller/profiles/ovhcloud-production', './infrastructure/postgres/config/overlays/prod2']);
    expect(read(dir, 'clusters/prod2/README.md')).toContain('infrastructure/postgres/config/overlays/prod2');

    // kubectl kustomize builds the shared overlays; the validator substitutes each cluster's variables.
    const v = await runBin(['validate', dir], { cwd });
    expect(v.exitCode, v.all).toBe(0);
    expect(v.all).not.toContain('kubectl is not installed');
    writeFileSync(join(dir, 'clusters/prod2/cluster-vars.yaml'), read(dir, 'clusters/prod2/cluster-vars.yaml').replace(/\n  storage_class: .*/, ''));
    const broken = await runBin(['validate', dir], { cwd });
    expect(broken.exitCode).not.toBe(0);
    expect(broken.all).toContain('${storage_class} has no value on cluster prod2');
    await git(dir, ['checkout', '--', '.']);

    // Back to an overlay per cluster: the shared overlays and the cluster-vars go, nothing is left behind.
    const back = await runBin(['--overlays', 'per-cluster'], { cwd: dir, env });
    expect(back.exitCode, back.all).toBe(0);
    expect(existsSync(join(dir, 'infrastructure/postgres/config/profiles'))).toBe(false);
    expect(existsSync(join(dir, 'clusters/prod/cluster-vars.yaml'))).toBe(false);
    expect(read(dir, 'infrastructure/postgres/config/overlays/prod/patch-cluster-app.yaml')).toContain('storageClass: csi-cinder-classic');
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
  });
});
