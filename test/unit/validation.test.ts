/**
 * The whole validation pipeline (YAML, builds, strict schemas with CEL, references, chart values):
 * every combination the generator can produce validates clean, and deliberately broken repositories
 * are each caught with a message that names the file and the path.
 */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { FileSet } from '../../lib/fileset.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import type { Finding } from '../../lib/validate/findings.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { generateAgeKey } from '../../lib/secrets/age.js';
import { encryptSops } from '../../lib/secrets/sops.js';
import { hybridEncrypt, encryptionLabel } from '../../lib/secrets/sealed.js';
import { generateKeyPairSync } from 'node:crypto';
import { resolveLocations, SchemaRegistry } from '../../lib/validate/schemas.js';
import { ChartLibrary, resolveChartDirs } from '../../lib/validate/values.js';
import { HAS_SHARED, needsShared } from '../shared.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const REMOTE = 'https://gitlab.example.nl/gemeente/platform.git';
// One registry and chart library for the whole file: schemas compile once, as in a real run.
const registry = new SchemaRegistry(resolveLocations(undefined));
const charts = new ChartLibrary(resolveChartDirs(undefined));
const validate = (files: FileSet) => validateFiles(files, { registry, charts, catalog });
const generated = (raw: RawAnswers) => render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog).files;
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');
const show = (findings: Finding[]) => findings.map((f) => `${f.file} ${f.object ?? ''} ${f.path ?? ''} ${f.message}`).join('\n');

/** A copy of a FileSet with more files. */
function withFiles(files: FileSet, extra: Record<string, string>): FileSet {
  const out = new FileSet();
  for (const [p, t] of files.entries()) out.add(p, t);
  for (const [p, t] of Object.entries(extra)) out.add(p, t);
  return out;
}

function mutate(files: FileSet, path: string, change: (text: string) => string): FileSet {
  const out = new FileSet();
  if (!files.has(path)) throw new Error(`test setup: ${path} is not generated`);
  for (const [p, t] of files.entries()) {
    if (p !== path) {
      out.add(p, t);
      continue;
    }
    const changed = change(t);
    if (changed === t) throw new Error(`test setup: the change to ${path} changed nothing (the generated text moved on)`);
    out.add(p, changed);
  }
  return out;
}

describe('validation of generated repositories', () => {
  it.skipIf(!HAS_SHARED)(needsShared('uses the shared schema and chart data in tests'), () => {
    expect(registry.locations.join()).toContain('shared/schemas');
  });

  it('every engine × provider × object storage × component set validates clean', async () => {
    let combinations = 0;
    for (const provider of catalog.providers.keys()) {
      for (const engine of ['flux', 'argocd']) {
        for (const backend of ['provider-s3', 'garage']) {
          for (const components of [['object-storage', 'postgres'], ['cert-manager', 'metrics-server'], ['object-storage']]) {
            // Every secrets strategy the engine supports, in turn.
            const strategies = engine === 'flux' ? ['sops', 'sealed-secrets', 'external-secrets'] : ['sealed-secrets', 'external-secrets'];
            const secrets = strategies[combinations % strategies.length];
            const raw: RawAnswers = { provider, engine, components, 'object-storage': backend, 'git-remote': REMOTE, clusters: ['acc', 'prod'], databases: ['app', 'orders'], 'database-clients': components.includes('postgres') ? ['apps'] : undefined, secrets, 'secret-store': 'platform-store' };
            if (backend === 'provider-s3' && !catalog.providers.get(provider)!.s3?.endpoint) raw['s3-endpoint'] = 'https://s3.example.nl';
            const report = await validate(generated(raw));
            expect(show(errors(report.findings)), JSON.stringify(raw)).toBe('');
            expect(report.findings.filter((f) => f.severity === 'warning'), JSON.stringify(raw)).toEqual([]);
            expect(report.stats.schemas).toBe(report.stats.objects);
            combinations++;
          }
        }
      }
    }
    expect(combinations).toBe(180);
  });

  it('every preset × engine × provider validates clean, with the values of every chart release checked', async () => {
    let combinations = 0;
    const backends = new Set<string>();
    const gateways = new Set<string>();
    for (const preset of catalog.presets.keys()) {
      for (const provider of catalog.providers.keys()) {
        for (const engine of ['flux', 'argocd']) {
          const strategies = engine === 'flux' ? ['sops', 'sealed-secrets', 'external-secrets'] : ['sealed-secrets', 'external-secrets'];
          // Every secrets strategy, Gateway implementation and certificate issuer, in turn.
          const raw: RawAnswers = {
            provider,
            engine,
            preset,
            'git-remote': REMOTE,
            clusters: ['acc', 'prod'],
            // MetalLB's range of each cluster, where the provider's profile adds it (previder).
            'cluster-settings': ['acc.load-balancer-addresses=192.0.2.240/29', 'prod.load-balancer-addresses=192.0.2.248/29'],
            secrets: strategies[combinations % strategies.length],
            'secret-store': 'platform-store',
            ...(preset === 'haven-plus' ? { gateway: ['envoy', 'istio', 'traefik'][combinations % 3] } : {}),
            ...(preset === 'haven-plus' && combinations % 2 === 0 ? { 'acme-email': 'platform@gemeente.example.nl' } : {}),
            ...(preset === 'haven-plus' ? { 'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl' } : {}),
            ...(preset === 'haven-plus' ? { tenants: ['sociaal-domein=https://git.example.nl/sd/apps.git', 'belastingen=ssh://git@git.example.nl/bel/apps.git'] } : {}),
            // Every in-cluster object store (Rook-Ceph needs raw disks: never on the sandbox).
            ...(preset !== 'haven-compliance' && combinations % 3 !== 0
              ? { 'object-storage': ['seaweedfs', catalog.providers.get(provider)!.sandbox ? 'garage' : 'rook-ceph'][combinations % 2] }
              : {}),
          };
          if (!catalog.providers.get(provider)!.s3?.endpoint && catalog.providers.get(provider)!.defaultObjectStorage === 'provider-s3') raw['s3-endpoint'] = 'https://s3.example.nl';
          const files = generated(raw);
          const report = await validate(files);
          expect(show(errors(report.findings)), JSON.stringify(raw)).toBe('');
          expect(report.findings.filter((f) => f.severity === 'warning'), JSON.stringify(raw)).toEqual([]);
          expect(report.stats.schemas).toBe(report.stats.objects);
          // Every chart release had chart data (no "values not checked" warning above) and was checked (a release
          // whose values are the same object on every cluster, from an unpatched base, once).
          const { plan } = render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);
          const releases = new Set(plan.clusters.flatMap((c) => c.components.flatMap((id) => catalog.components.get(id)!.controller?.releases ?? [])).filter((r) => r.kind === 'chart' && !r.valuesUnchecked).map((r) => r.chart));
          expect(report.stats.chartValues, JSON.stringify(raw)).toBeGreaterThanOrEqual(releases.size);
          for (const c of plan.clusters) if (c.objectStorage) backends.add(c.objectStorage.backend);
          if (plan.gateway) gateways.add(plan.gateway.className);
          combinations++;
        }
      }
    }
    expect(combinations).toBe(catalog.presets.size * catalog.providers.size * 2);
    expect([...backends].sort()).toEqual(['garage', 'provider-s3', 'rook-ceph', 'seaweedfs']);
    expect([...gateways].sort()).toEqual(['envoy-gateway', 'istio', 'traefik']);
  });

  it('external-dns validates clean on every provider with a DNS profile, with that provider\'s credential keys', async () => {
    let withDns = 0;
    for (const [id, provider] of catalog.providers) {
      if (!provider.dns) continue;
      for (const engine of ['flux', 'argocd']) {
        const raw: RawAnswers = { provider: id, engine, components: ['external-dns'], domain: 'apps.gemeente.example.nl', 'git-remote': REMOTE, secrets: 'external-secrets', 'secret-store': 'store' };
        const files = generated(raw);
        const report = await validate(files);
        expect(show(errors(report.findings)), JSON.stringify(raw)).toBe('');
        expect(report.findings.filter((f) => f.severity === 'warning'), JSON.stringify(raw)).toEqual([]);
        const secret = files.get('infrastructure/external-dns/controller/overlays/prod/external-dns-credentials.external-secret.yaml')!;
        for (const k of [...provider.dns.secretKeys.map((x) => x.name), ...provider.dns.files.map((x) => x.key)]) expect(secret, id).toContain(`secretKey: ${k}`);
      }
      withDns++;
    }
    expect(withDns).toBe(catalog.providers.size - 1); // all but the laptop sandbox
  });

  it('checks chart values and evaluates CEL rules on the way', async () => {
    const report = await validate(generated({ provider: 'local' }));
    expect(report.stats.chartValues).toBeGreaterThanOrEqual(4);
    expect(report.stats.celRules).toBeGreaterThan(0);
    // Flux with sops, no values given: the S3 key (no file yet), and no age key: nothing decrypts yet.
    expect(report.mustCreate.map((m) => `${m.kind} ${m.namespace}/${m.name}`)).toEqual(['Secret databases/s3-credentials']);
    expect(report.mustCreate[0]).toEqual({
      cluster: 'local',
      kind: 'Secret',
      namespace: 'databases',
      name: 's3-credentials',
      keys: ['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'],
      referencedBy: ['ObjectStore databases/app-backups'],
    });
  });
});

describe('the validator fails on broken repositories', () => {
  const flux = generated({ provider: 'local' });
  const argo = generated({ provider: 'local', engine: 'argocd', 'git-remote': REMOTE });
  const argoMetrics = generated({ provider: 'local', engine: 'argocd', 'git-remote': REMOTE, components: ['object-storage', 'postgres', 'metrics-server'] });
  const keycloak = generated({ provider: 'ovhcloud', clusters: ['prod'], preset: 'haven-plus', 'acme-email': 'platform@gemeente.example.nl', 'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl' });

  const cases: [string, FileSet, string, (t: string) => string, { file: string; path?: string; message: RegExp }][] = [
    ['an unknown field', flux, 'infrastructure/postgres/config/base/databases.yaml', (t) => t.replace('  enablePDB: true', '  enablePDB: true\n  enablePBD: true'),
      { file: 'infrastructure/postgres/config/overlays/local/patch-cluster-app.yaml', path: '/spec', message: /unknown field "enablePBD"/ }],
    ['a bad duration', flux, 'clusters/local/infrastructure/garage.yaml', (t) => t.replace('interval: 15m', 'interval: 15 minutes'),
      { file: 'clusters/local/infrastructure/garage.yaml', path: '/spec/interval', message: /must match pattern/ }],
    ['a missing dependsOn target', flux, 'clusters/local/infrastructure/postgres.yaml', (t) => t.replace('name: cert-manager-controller', 'name: certmanager-controller'),
      { file: 'clusters/local/infrastructure/postgres.yaml', message: /dependsOn certmanager-controller is not a Kustomization/ }],
    ['a wrong sourceRef kind', flux, 'infrastructure/cert-manager/controller/base/releases.yaml', (t) => t.replace('kind: HelmRepository', 'kind: GitRepository'),
      { file: 'infrastructure/cert-manager/controller/base/releases.yaml', path: '/spec/chart/spec/sourceRef', message: /chart sourceRef GitRepository\/jetstack does not exist/ }],
    ['a CEL violation', flux, 'infrastructure/postgres/config/overlays/local/object-stores.yaml', (t) => t.replace('    endpointURL:', '    serverName: app\n    endpointURL:'),
      { file: 'infrastructure/postgres/config/overlays/local/object-stores.yaml', path: '/spec/configuration', message: /serverName/ }],
    ['a values key the chart does not have', flux, 'infrastructure/cert-manager/controller/base/releases.yaml', (t) => t.replace('    crds:\n', '    crdz: {}\n    crds:\n'),
      { file: 'infrastructure/cert-manager/controller/base/releases.yaml', path: '/spec/values', message: /unknown key "crdz"/ }],
    ['a values key a chart without schema does not have', flux, 'infrastructure/garage/controller/overlays/local/garage-values.yaml', (t) => t.replace('    deployment:', '    deploymnet:\n      kind: StatefulSet\n    deployment:'),
      { file: 'infrastructure/garage/controller/overlays/local/garage-values.yaml', path: '/spec/values/deploymnet', message: /garage 0.8.0 has no such value/ }],
    ['a duplicate object', flux, 'infrastructure/postgres/config/overlays/local/kustomization.yaml', (t) => t.replace('  - object-stores.yaml', '  - object-stores.yaml\n  - ../../../../garage/controller/base/namespace.yaml\n  - ../../../../garage/controller/base/namespace.yaml'),
      { file: 'infrastructure/garage/controller/base/namespace.yaml', message: /duplicate object|also applied by/ }],
    ['a dependsOn cycle', flux, 'clusters/local/infrastructure/cert-manager.yaml', (t) => t.replace('  sourceRef:', '  dependsOn:\n    - name: postgres-config\n  sourceRef:'),
      { file: 'clusters/local/infrastructure', message: /dependsOn cycle: .*cert-manager-controller/ }],
    ['a namespace never created', flux, 'infrastructure/postgres/config/overlays/local/object-stores.yaml', (t) => t.replace('namespace: databases', 'namespace: database'),
      { file: 'infrastructure/postgres/config/overlays/local/object-stores.yaml', message: /namespace database is never created on cluster local/ }],
    ['an object before its CRDs', flux, 'clusters/local/infrastructure/postgres.yaml', (t) => t.replace(/  dependsOn:\n    - name: postgres-controller\n    - name: garage-controller\n/, '  dependsOn:\n    - name: garage-controller\n'),
      { file: 'infrastructure/postgres/config/base/databases.yaml', message: /postgresql.cnpg.io CRDs are installed by postgres-controller, which is not ordered before postgres-config/ }],
    ['an invalid name', flux, 'infrastructure/postgres/config/base/databases.yaml', (t) => t.replace('name: app-nightly', 'name: App_Nightly'),
      { file: 'infrastructure/postgres/config/base/databases.yaml', path: '/metadata/name', message: /"App_Nightly" is not a valid ScheduledBackup name/ }],
    ['an Argo CD destination outside the project', argo, 'clusters/local/apps/project.yaml', (t) => t.replace(/    - server: https:\/\/kubernetes.default.svc\n      namespace: databases\n/, ''),
      { file: 'clusters/local/apps/postgres-config.yaml', path: '/spec/destination', message: /namespace databases is not allowed by project platform/ }],
    ['an Argo CD wave before its CRDs', argo, 'clusters/local/apps/postgres-config.yaml', (t) => t.replace('sync-wave: "3"', 'sync-wave: "1"'),
      { file: 'infrastructure/postgres/config/overlays/local/object-stores.yaml', message: /barmancloud.cnpg.io CRDs are installed by plugin-barman-cloud, which is not ordered before postgres-config/ }],
    ['a Gateway before the Gateway API CRDs', generated({ provider: 'local', components: ['gateway'], gateway: 'traefik' }), 'clusters/local/infrastructure/gateway.yaml', (t) => t.replace('  dependsOn:\n    - name: traefik-controller\n', ''),
      { file: 'infrastructure/gateway/config/overlays/local/gateway.yaml', message: /gateway.networking.k8s.io CRDs are installed by gateway-api-controller, which is not ordered before gateway-config/ }],
    ['an OCI chart value the chart does not have', generated({ provider: 'local', components: ['gateway'] }), 'infrastructure/envoy-gateway/controller/base/releases.yaml', (t) => t.replace('    deployment:\n      envoyGateway:\n', '    deployment:\n      envoyGateway:\n        pullPolicy: Always\n'),
      { file: 'infrastructure/envoy-gateway/controller/base/releases.yaml', path: '/spec/values/deployment/envoyGateway/pullPolicy', message: /gateway-helm v1.9.0 has no such value/ }],
    ['an unknown Argo CD project', argo, 'clusters/local/apps/garage.yaml', (t) => t.replace('project: platform', 'project: platfrom'),
      { file: 'clusters/local/apps/garage.yaml', path: '/spec/project', message: /project platfrom is not an AppProject/ }],
    ['a values key an open values.schema.json lets through but no template reads', keycloak, 'infrastructure/loki/controller/base/releases.yaml', (t) => t.replace('    lokiCanary:\n', '    lokiCanery:\n      enabled: false\n    lokiCanary:\n'),
      { file: 'infrastructure/loki/controller/base/releases.yaml', path: '/spec/values/lokiCanery', message: /loki 18.11.0 has no such value \(not in its default values.yaml nor its values.schema.json\)/ }],
    // Chart facts: what the chart renders, not only what the repository says.
    ['a chart writing into a namespace its Argo CD project does not allow (cert-manager leader election)', argo, 'infrastructure/cert-manager/controller/base/cert-manager.values.yaml', (t) => t.replace('global:\n  leaderElection:\n    namespace: cert-manager\n', ''),
      { file: 'clusters/local/apps/cert-manager.yaml', path: '/spec/sources/0', message: /chart cert-manager v1.21.1 writes Role, RoleBinding into namespace kube-system .*project platform does not allow.*set global.leaderElection.namespace to cert-manager/ }],
    ['a chart creating a cluster-scoped kind its Argo CD project does not whitelist', argo, 'clusters/local/apps/project.yaml', (t) => t.replace('  clusterResourceWhitelist:\n    - group: "*"\n      kind: "*"\n', '  clusterResourceWhitelist:\n    - group: ""\n      kind: Namespace\n'),
      { file: 'clusters/local/apps/cert-manager.yaml', message: /chart cert-manager v1.21.1 creates cluster-scoped .*ClusterRole.rbac.authorization.k8s.io.*does not whitelist/ }],
    ['a chart writing into a namespace its Argo CD project does not allow (metrics-server)', argoMetrics, 'clusters/local/apps/project.yaml', (t) => t.replace('    - server: https://kubernetes.default.svc\n      namespace: kube-system\n', ''),
      { file: 'clusters/local/apps/metrics-server.yaml', message: /chart metrics-server 3.13.1 writes RoleBinding into namespace kube-system .*no value moves them/ }],
    ['a HelmRelease targetNamespace nothing creates', flux, 'infrastructure/garage/controller/base/releases.yaml', (t) => t.replace('  releaseName: garage\n', '  releaseName: garage\n  targetNamespace: garage-data\n'),
      { file: 'infrastructure/garage/controller/base/releases.yaml', path: '/spec/targetNamespace', message: /targetNamespace garage-data is never created on cluster local, and install.createNamespace is not set/ }],
    ['a Secret key the generated Secret does not have (Keycloak database user)', keycloak, 'infrastructure/keycloak/config/overlays/prod/keycloak.yaml', (t) => t.replace('      key: username', '      key: user-name'),
      { file: 'infrastructure/keycloak/config/overlays/prod/keycloak.yaml', message: /reads key user-name of Secret keycloak\/keycloak-db-app, which Cluster keycloak\/keycloak-db creates, which has username, user, password/ }],
    ['a default-deny namespace that blocks the HTTP-01 solver', keycloak, 'infrastructure/keycloak/config/overlays/prod/acme-solver-network-policy.yaml', (t) => t.replace('port: 8089', 'port: 8080'),
      { file: 'infrastructure/keycloak/config/overlays/prod/keycloak.yaml', message: /namespace keycloak denies ingress by default and no NetworkPolicy admits .* HTTP-01 solver .* TCP 8089/ }],
    ['a ScheduledBackup schedule the CloudNativePG webhook refuses', flux, 'infrastructure/postgres/config/base/databases.yaml', (t) => t.replace('schedule: 0 0 2 * * *', 'schedule: 0 61 2 * * *'),
      { file: 'infrastructure/postgres/config/base/databases.yaml', path: '/spec/schedule', message: /schedule/ }],
  ];

  it.each(cases)('catches %s', async (_name, files, path, change, expected) => {
    const report = await validate(mutate(files, path, change));
    const hits = errors(report.findings).filter((f) => f.file.startsWith(expected.file) && expected.message.test(f.message) && (!expected.path || f.path === expected.path));
    expect(hits, show(errors(report.findings))).not.toEqual([]);
  });
});

describe('validation of repositories people work in', () => {
  it('accepts a repository after flux bootstrap committed flux-system/', async () => {
    // flux bootstrap on a cluster of a provider (a local sandbox syncs from its registry instead).
    const bootstrapped = withFiles(generated({ provider: 'previder', clusters: ['local'], 'git-remote': 'ssh://git@gitlab.example.nl/gemeente/platform.git', 'load-balancer-addresses': '10.0.0.240/28' }), {
      'clusters/local/flux-system/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n',
      'clusters/local/flux-system/gotk-components.yaml': '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n',
      'clusters/local/flux-system/gotk-sync.yaml': [
        '---',
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: GitRepository',
        'metadata:\n  name: flux-system\n  namespace: flux-system',
        'spec:\n  interval: 1m0s\n  ref:\n    branch: main\n  secretRef:\n    name: flux-system\n  url: ssh://git@gitlab.example.nl/gemeente/platform',
        '---',
        'apiVersion: kustomize.toolkit.fluxcd.io/v1',
        'kind: Kustomization',
        'metadata:\n  name: flux-system\n  namespace: flux-system',
        'spec:\n  interval: 10m0s\n  path: ./clusters/local\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system',
        '',
      ].join('\n'),
    });
    const report = await validate(bootstrapped);
    expect(show(errors(report.findings))).toBe('');
    expect(report.mustCreate.map((m) => `${m.namespace}/${m.name}`)).toContain('flux-system/flux-system');
  });

  it.each([
    ['a password', 'infrastructure/garage/controller/base/releases.yaml', (t: string) => t.replace('    garage:\n', '    garage:\n      adminPassword: hunter2-very-secret\n'), /adminPassword has a literal value/],
    ['an AWS key', 'README.md', (t: string) => `${t}\nexport AWS_ACCESS_KEY_ID=AKIA2OGYBAH6QRSTUV5W\n`, /holds an AWS access key ID/],
    ['a private key', 'clusters/local/README.md', (t: string) => `${t}\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n`, /holds a private key/],
  ])('the secret scan finds %s', async (_name, path, change, message) => {
    const files = generated({ provider: 'local' });
    const report = await validate(mutate(files, path, change));
    expect(errors(report.findings).filter((f) => f.check === 'secrets' && f.file === path && message.test(f.message))).toHaveLength(1);
  });

  it('checks Secret structure but skips a SOPS block', async () => {
    const withSecrets = withFiles(generated({ provider: 'local' }), {
      'clusters/local/secrets.yaml': '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s3-credentials\n  namespace: databases\ntype: Opaque\ndata:\n  S3_ACCESS_KEY_ID: ENC[AES256_GCM,data:abc]\nsops:\n  version: 3.9.0\n',
      'clusters/local/broken-secret.yaml': '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: other\n  namespace: databases\nstringdata:\n  a: b\n',
    });
    const report = await validate(withSecrets);
    const found = errors(report.findings).filter((f) => f.file.includes('secret'));
    expect(found.map((f) => `${f.file} ${f.message}`)).toEqual([
      // The root Kustomization applies what lies under clusters/<cluster>/, before any component's namespace exists.
      // (Said once for both objects flux-system applies in that namespace.)
      'clusters/local/broken-secret.yaml namespace databases is created by postgres-config, which is not ordered before flux-system on cluster local, and postgres-config is applied by it: neither ever applies (2 objects flux-system applies in databases on this cluster: this is the first)',
      'clusters/local/broken-secret.yaml /: unknown field "stringdata"',
      'clusters/local/secrets.yaml is SOPS-encrypted, but the root Kustomization flux-system applies it without spec.decryption (provider: sops): Flux would apply the ciphertext',
    ]);
    const plain = await validate(withFiles(withSecrets, { 'clusters/local/plain.yaml': '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  namespace: databases\nstringData:\n  S3_SECRET_ACCESS_KEY: wJalrXUtnFEMI\n' }));
    expect(errors(plain.findings).map((f) => f.message)).toContain('Secret holds plaintext values (S3_SECRET_ACCESS_KEY): encrypt it (SOPS) or seal it');
  });

  describe('secret delivery', async () => {
    const { recipient } = await generateAgeKey();
    const path = 'infrastructure/postgres/config/overlays/local/s3-credentials.sops.yaml';
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3-credentials', namespace: 'databases' }, type: 'Opaque', stringData: { S3_ACCESS_KEY_ID: 'GKid', S3_SECRET_ACCESS_KEY: 'value' } };
    const encrypted = await encryptSops(secret, [recipient], new Date('2026-11-23T12:00:00Z'));
    const answers = (raw: RawAnswers) => resolveAnswers(withDefaults(raw, ctx), ctx);
    const flux = render(answers({ provider: 'local', 'age-recipient': [recipient] }), catalog, new Map([[path, encrypted]])).files;

    it('accepts a SOPS Secret under a decrypting Kustomization, and nothing needs creating for it', async () => {
      const report = await validate(flux);
      expect(show(errors(report.findings))).toBe('');
      expect(report.mustCreate.map((m) => m.name)).toEqual(['sops-age']);
    });

    it('catches a decryption Secret no README step or script creates, and a Secret key the SOPS file does not have', async () => {
      const prodPath = 'infrastructure/postgres/config/overlays/prod/s3-credentials.sops.yaml';
      const ovh = render(answers({ provider: 'ovhcloud', clusters: ['prod'], 'age-recipient': [recipient] }), catalog, new Map([[prodPath, encrypted]])).files;
      expect(show(errors((await validate(ovh)).findings))).toBe('');
      // The cluster README's step 1 is the only place the key is made: without it, nothing creates sops-age.
      const undocumented = mutate(ovh, 'clusters/prod/README.md', (t) => t.replace(/kubectl -n flux-system create secret generic sops-age/, 'kubectl -n flux-system get secret sops-age'));
      expect(errors((await validate(undocumented)).findings).map((f) => `${f.file}: ${f.message}`)).toEqual([
        'clusters/prod/infrastructure/postgres.yaml: decrypts with Secret flux-system/sops-age, which nothing in this repository creates and no README step makes (kubectl create secret generic sops-age): kustomize-controller fails this Kustomization until it exists',
      ]);
      const wrongKey = mutate(ovh, 'infrastructure/postgres/config/overlays/prod/object-stores.yaml', (t) => t.replace('key: S3_ACCESS_KEY_ID', 'key: ACCESS_KEY_ID'));
      expect(errors((await validate(wrongKey)).findings).map((f) => f.message)).toContain(
        `reads key ACCESS_KEY_ID of Secret databases/s3-credentials (${prodPath}) which has S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY`,
      );
    });

    it('catches a SOPS Secret whose Kustomization does not decrypt', async () => {
      const report = await validate(mutate(flux, 'clusters/local/infrastructure/postgres.yaml', (t) => t.split('---').map((d) => (d.includes('postgres-config') ? d.replace(/  decryption:\n(    .*\n)+/, '') : d)).join('---')));
      expect(errors(report.findings).map((f) => `${f.file}: ${f.message}`)).toEqual([
        `${path}: is SOPS-encrypted, but Kustomization postgres-config applies it without spec.decryption (provider: sops): Flux would apply the ciphertext`,
      ]);
    });

    it('catches a SOPS Secret delivered by Argo CD, a plaintext *.sops.yaml and a value edited after encryption', async () => {
      const argo = render(answers({ provider: 'local', engine: 'argocd', 'git-remote': REMOTE, secrets: 'sealed-secrets' }), catalog).files;
      const argoPath = 'infrastructure/postgres/config/overlays/local/kustomization.yaml';
      const withSops = withFiles(mutate(argo, argoPath, (t) => t.replace('  - object-stores.yaml\n', '  - object-stores.yaml\n  - s3-credentials.sops.yaml\n')), { [path]: encrypted });
      expect(errors((await validate(withSops)).findings).map((f) => f.message)).toContain('is SOPS-encrypted, and Argo CD cannot decrypt SOPS: seal it (Sealed Secrets) or read it from a store (External Secrets)');

      const plain = mutate(flux, path, () => '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s3-credentials\n  namespace: databases\nstringData:\n  S3_ACCESS_KEY_ID: GKid\n');
      expect(errors((await validate(plain)).findings).filter((f) => f.check === 'secrets').map((f) => f.message)).toEqual([
        'is named *.sops.yaml but is not SOPS-encrypted: encrypt it with sops before committing',
        'Secret holds plaintext values (S3_ACCESS_KEY_ID): encrypt it (SOPS) or seal it',
      ]);
      const edited = mutate(flux, path, (t) => t.replace(/S3_ACCESS_KEY_ID: ENC\[.*\]/, 'S3_ACCESS_KEY_ID: GKedited'));
      expect(errors((await validate(edited)).findings).map((f) => f.message)).toContain('Secret has SOPS metadata but plaintext values (S3_ACCESS_KEY_ID): it was edited after encryption; re-encrypt it with sops');
    });

    it('recognises sealed values and catches a SealedSecret value that is not sealed', async () => {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const sealedValue = hybridEncrypt(publicKey, Buffer.from('GKid'), encryptionLabel('databases', 's3-credentials')).toString('base64');
      const sealedPath = 'infrastructure/postgres/config/overlays/local/s3-credentials.sealed-secret.yaml';
      const sealed = (value: string) =>
        `---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s3-credentials\n  namespace: databases\nspec:\n  encryptedData:\n    S3_ACCESS_KEY_ID: ${sealedValue}\n    S3_SECRET_ACCESS_KEY: ${value}\n  template:\n    metadata:\n      name: s3-credentials\n      namespace: databases\n    type: Opaque\n`;
      const argo = render(answers({ provider: 'local', engine: 'argocd', 'git-remote': REMOTE, secrets: 'sealed-secrets' }), catalog, new Map([[sealedPath, sealed(sealedValue)]])).files;
      const clean = await validate(argo);
      expect(show(errors(clean.findings))).toBe('');
      expect(clean.mustCreate).toEqual([]);
      const report = await validate(mutate(argo, sealedPath, () => sealed('d0VKYWxyWFV0bkZFTUk=')));
      expect(errors(report.findings).map((f) => f.message)).toEqual([
        'line 10: S3_SECRET_ACCESS_KEY has a literal value; reference a Secret instead',
        'SealedSecret holds values that are not sealed (S3_SECRET_ACCESS_KEY): seal them with kubeseal',
      ]);
    });
  });
});

describe('chart versions written another way, and chart sources Argo CD refuses', () => {
  it('istiod "v1.30.3" is the pinned 1.30.3 from its Helm repository: the values the catalog knows it reads stay allowed', async () => {
    const files = generated({ provider: 'scaleway', engine: 'flux', preset: 'haven-plus', gateway: 'istio', 'git-remote': REMOTE, 'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl' });
    const path = files.paths().find((p) => /version: 1\.30\.3\n/.test(files.get(p)!) && files.get(p)!.includes('chart: istiod'))!;
    expect(path, 'a file pins istiod').toBeDefined();
    const changed = mutate(files, path, (t) => t.replace(/(chart: istiod\n(?:.*\n)*?\s+version: )1\.30\.3/, '$1"v1.30.3"'));
    expect(changed.get(path)).toContain('version: "v1.30.3"');
    const report = await validate(changed);
    expect(show(errors(report.findings))).toBe('');
    expect(report.findings.filter((f) => f.severity === 'unverified')).toEqual([]);
  });

  it('build metadata tells pinned versions apart; a Helm range or an OCIRepository semver range is unverified', () => {
    expect(charts.nearest({ chart: 'cert-manager', version: 'v1.21.1+up2', url: 'https://charts.jetstack.io' })?.how).toBe('nearest');
    expect(charts.nearest({ chart: 'cert-manager', version: '1.21.1', url: 'https://charts.jetstack.io' })?.how).toBe('same');
    expect(charts.nearest({ chart: 'cert-manager', version: '=>1.20.0', url: 'oci://registry.example.nl/mirror/jetstack/charts/cert-manager' })?.how).toBe('range');
    expect(charts.nearest({ chart: 'cert-manager', version: '1.21.1', url: 'https://charts.example.org' })).toBeUndefined();
  });
});
