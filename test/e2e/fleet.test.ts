/**
 * Fleets through the bin: a clusters file (name, provider, environment, region, domain, storage class,
 * S3 endpoint, components per cluster) becomes clusters with settings of their own, stored for re-runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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
    expect(s.all).toContain('cluster-settings: "zone" is not a cluster setting (environment, region, domain, storage-class, s3-endpoint)');
    expect(s.all).toContain('cluster-settings: "c" is not one of the clusters (a, b)');
    expect(s.all).toContain('cluster-settings: cluster b: domain "-bad" is not a DNS-1123 subdomain');
    expect(s.all).toContain('cluster-settings: "a.region" is given twice');
    expect(existsSync(join(cwd, 'bad'))).toBe(false);
  });
});
