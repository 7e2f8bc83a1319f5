/**
 * `validate`'s "You must create" list and the generator's "Secrets still to provide" are the same list:
 * a Secret the generator asks for and validate cannot see (read through chart values, or by the software
 * at run time) would let a newcomer believe the repository is complete. Each case renders with no secret
 * values given, so every Secret is still to provide, and compares the two lists Secret by Secret.
 */
import { describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import { secretSpecs } from '../../lib/secrets/specs.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { resolveLocations, SchemaRegistry } from '../../lib/validate/schemas.js';
import { ChartLibrary, resolveChartDirs } from '../../lib/validate/values.js';
import { formatHuman } from '../../lib/validate/report.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const registry = new SchemaRegistry(resolveLocations(undefined));
const charts = new ChartLibrary(resolveChartDirs(undefined));
const REMOTE = 'https://gitlab.example.nl/gemeente/platform.git';
const KEYCLOAK = { 'keycloak-hostname': 'sso.{cluster}.gemeente.example.nl' };

/** Secrets the cluster README's bootstrap steps make (not secret specs of a component): flux bootstrap's git credentials, the age key. */
const BOOTSTRAP = new Set(['flux-system/flux-system', 'flux-system/sops-age']);

const cases: [string, RawAnswers][] = [
  ['Flux, SOPS, provider S3', { provider: 'exoscale', preset: 'haven-plus', ...KEYCLOAK }],
  ['Argo CD, Sealed Secrets, provider S3', { provider: 'exoscale', preset: 'haven-plus', engine: 'argocd', 'git-remote': REMOTE, ...KEYCLOAK }],
  ['Flux, SOPS, Rook Ceph in the cluster', { provider: 'previder', preset: 'haven-plus', 'git-remote': REMOTE, 'load-balancer-addresses': '10.0.0.240/28', ...KEYCLOAK }],
  ['Flux, a sandbox (Garage in the cluster)', { provider: 'local', preset: 'haven-plus', ...KEYCLOAK }],
];

describe('validate lists the Secrets the generator says are still to provide', () => {
  it.each(cases)('%s', async (_, raw) => {
    const { plan, files } = render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);
    // All of them: those a sandbox's script makes too (the run's summary lists them apart, as made by the script).
    const generator = secretSpecs(plan)
      .map((s) => `${s.cluster}: ${s.namespace}/${s.name}`)
      .sort();
    expect(generator.length, 'the case has Secrets to provide').toBeGreaterThan(0);
    const report = await validateFiles(files, { registry, charts, catalog });
    const validated = report.mustCreate
      .filter((m) => m.kind === 'Secret' && !BOOTSTRAP.has(`${m.namespace}/${m.name}`))
      .map((m) => `${m.cluster}: ${m.namespace}/${m.name}`)
      .sort();
    expect(validated, formatHuman(report)).toEqual(generator);
    // Each key the generator asks for is a key validate names (where the reader names one).
    for (const spec of secretSpecs(plan)) {
      const listed = report.mustCreate.find((m) => m.cluster === spec.cluster && m.namespace === spec.namespace && m.name === spec.name)!;
      for (const key of listed.keys) expect(spec.keys.map((k) => k.name), `${spec.namespace}/${spec.name}`).toContain(key);
    }
  });

  it('with External Secrets: validate lists the store, and the README names each store key once, with every namespace that reads it', async () => {
    const raw: RawAnswers = { ...cases[0][1], secrets: 'external-secrets', 'secret-store': 'vault' };
    const { plan, files } = render(resolveAnswers(withDefaults(raw, ctx), ctx), catalog);
    const report = await validateFiles(files, { registry, charts, catalog });
    expect(report.mustCreate.map((m) => `${m.kind} ${m.name}`)).toEqual(['ClusterSecretStore vault']);
    const readme = files.get('README.md')!;
    const storeKeys = [...new Set(secretSpecs(plan).map((s) => s.name))];
    expect(storeKeys).toEqual(['s3-credentials', 'velero-repo-credentials']);
    expect(secretSpecs(plan).filter((x) => x.name === 's3-credentials')).toHaveLength(6);
    for (const name of storeKeys) {
      const lines = readme.split('\n').filter((l) => l.includes(`key \`platform/<cluster>/${name}\``));
      expect(lines, name).toHaveLength(1);
      const namespaces = secretSpecs(plan).filter((x) => x.name === name).map((x) => x.namespace);
      // A key several namespaces read names them all (six for the object storage key).
      if (namespaces.length > 1) expect(lines[0]).toContain(`read in namespaces ${namespaces.map((n) => `\`${n}\``).join(', ')};`);
    }
  });

  it('says what happens when a Secret the software makes itself is missing (Velero\'s repository password)', async () => {
    const { files } = render(resolveAnswers(withDefaults(cases[0][1], ctx), ctx), catalog);
    const report = await validateFiles(files, { registry, charts, catalog });
    expect(formatHuman(report)).toContain(
      'Secret velero/velero-repo-credentials with keys repository-password (used by HelmRelease velero/velero; without it, Velero creates it with the password static-passw0rd',
    );
  });
});

describe("the README's list of Secrets to provide", () => {
  it('leaves out those already in the repository (encrypted on an earlier run), as validate does', async () => {
    const answers = resolveAnswers(withDefaults({ provider: 'exoscale', components: ['postgres', 'velero'] }, ctx), ctx);
    const first = render(answers, catalog);
    const listed = (files: typeof first.files) => (files.get('README.md') ?? '').split('\n').filter((l) => /^- Secret `/.test(l)).map((l) => /^- Secret `([^`]+)` in namespace `([^`]+)`/.exec(l)!.slice(1).reverse().join('/'));
    expect(listed(first.files)).toEqual(['databases/s3-credentials', 'velero/s3-credentials', 'velero/velero-repo-credentials']);
    // The velero key, as a SOPS file an earlier run wrote (its content is not read here).
    const path = 'infrastructure/velero/controller/overlays/prod/s3-credentials.sops.yaml';
    const later = render(answers, catalog, new Map([[path, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s3-credentials\n  namespace: velero\nstringData:\n  S3_ACCESS_KEY_ID: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n']]));
    expect(later.files.has(path)).toBe(true);
    expect(listed(later.files)).toEqual(['databases/s3-credentials', 'velero/velero-repo-credentials']);
  });
});
