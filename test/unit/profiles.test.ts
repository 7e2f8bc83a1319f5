/**
 * Shared overlays (--overlays per-profile): every cluster must receive exactly the objects it gets
 * with an overlay of its own, after Flux substitutes its cluster-vars; the validator must see what
 * Flux would substitute (and refuse a variable without a value).
 */
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { FileSet } from '../../lib/fileset.js';
import { render } from '../../lib/generate.js';
import type { RawAnswers } from '../../lib/questions.js';
import { buildKustomization, objectsOf } from '../../lib/validate/build.js';
import { validateFiles } from '../../lib/validate/repository.js';
import { substitute } from '../../lib/validate/substitute.js';

const catalog = loadCatalog();
const ctx = { catalog, directoryName: 'platform' };
const answers = (raw: RawAnswers) => resolveAnswers(withDefaults(raw, ctx), ctx);

/** Two providers, three environments, clusters with their own domain, storage class and endpoint, most components. */
const FLEET: RawAnswers = {
  engine: 'flux',
  provider: 'ovhcloud',
  clusters: ['t1', 't2', 'a1:scaleway', 'a2:scaleway', 'p1', 'p2', 'p3'],
  'cluster-settings': [
    't1.environment=test', 't2.environment=test',
    'a1.environment=acceptance', 'a2.environment=acceptance', 'a2.region=fr-par',
    'p1.environment=production', 'p2.environment=production', 'p3.environment=production',
    'p1.domain=apps.p1.gemeente.nl', 'p2.storage-class=csi-cinder-classic', 'p3.s3-endpoint=https://s3.p3.gemeente.nl',
  ],
  'cluster-components': ['p1=external-dns'],
  preset: 'haven-plus',
  databases: ['app', 'orders'],
  buckets: ['media'],
  domain: 'apps.gemeente.nl',
  'keycloak-hostname': 'sso.{cluster}.gemeente.nl',
  'acme-email': 'platform@gemeente.nl',
  secrets: 'external-secrets',
  'secret-store': 'openbao',
  'git-remote': 'https://git.example.nl/platform.git',
};

/** What Flux applies on one cluster through its stage Kustomizations: builds, substituted with its cluster-vars. */
function delivered(files: FileSet, cluster: string): Map<string, string> {
  const vars = new Map<string, string>();
  const cm = files.get(`clusters/${cluster}/cluster-vars.yaml`);
  if (cm) for (const [k, v] of Object.entries((objectsOf(cm)[0].data as Record<string, string>) ?? {})) vars.set(k, v);
  const out = new Map<string, string>();
  for (const path of files.paths().filter((p) => p.startsWith(`clusters/${cluster}/infrastructure/`))) {
    for (const k of objectsOf(files.get(path)!)) {
      const dir = String(k.spec!.path).replace(/^\.\//, '');
      const build = buildKustomization(files, dir);
      expect(build.errors, dir).toEqual([]);
      for (const b of build.objects) {
        const text = k.spec!.postBuild ? substitute(stringify(b.object, { lineWidth: 0 }), vars) : { text: stringify(b.object, { lineWidth: 0 }), missing: [] };
        expect(text.missing, `${dir} on ${cluster}`).toEqual([]);
        const o = parse(text.text) as { kind: string; metadata: { namespace?: string; name: string } };
        out.set(`${k.metadata!.name} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, stringify(o));
      }
    }
  }
  return out;
}

const overlayDirs = (files: FileSet) => new Set(files.paths().filter((p) => /^infrastructure\/[^/]+\/[^/]+\/(overlays|profiles)\/[^/]+\/kustomization\.yaml$/.test(p)));

describe('shared overlays (--overlays per-profile)', () => {
  const perCluster = render(answers(FLEET)).files;
  const perProfile = render(answers({ ...FLEET, overlays: 'per-profile' })).files;

  it('delivers to every cluster exactly what its own overlays deliver', () => {
    for (const cluster of ['t1', 't2', 'a1', 'a2', 'p1', 'p2', 'p3']) {
      const own = delivered(perCluster, cluster);
      const shared = delivered(perProfile, cluster);
      expect(own.size, cluster).toBeGreaterThan(40);
      expect([...shared.keys()].sort(), cluster).toEqual([...own.keys()].sort());
      for (const [id, text] of own) expect(shared.get(id), `${cluster}: ${id}`).toBe(text);
    }
  });

  it('shares one overlay per provider profile and environment', () => {
    expect(overlayDirs(perProfile).size).toBeLessThan(overlayDirs(perCluster).size / 2);
    const profiles = new Set(perProfile.paths().filter((p) => p.includes('/profiles/')).map((p) => p.split('/')[4]));
    // p1 runs ExternalDNS beside the rest: overlays that mention it (the gateway's, …) differ, and get a second production variant.
    expect([...profiles].filter((p) => !/-[0-9a-f]{8}$/.test(p)).sort()).toEqual(['ovhcloud-production', 'ovhcloud-test', 'scaleway-acceptance']);
    expect(perProfile.paths().some((p) => p.includes('/overlays/'))).toBe(false);
    const k = objectsOf(perProfile.get('clusters/p2/infrastructure/postgres.yaml')!).find((o) => o.metadata?.name === 'postgres-config')!;
    expect(k.spec).toMatchObject({ path: './infrastructure/postgres/config/profiles/ovhcloud-production', postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }] } });
    const vars = objectsOf(perProfile.get('clusters/p2/cluster-vars.yaml')!)[0];
    expect(vars.metadata).toEqual({ name: 'cluster-vars', namespace: 'flux-system' });
    expect(vars.data).toMatchObject({ cluster_name: 'p2', cluster_environment: 'production', storage_class: 'csi-cinder-classic', bucket_media: 'platform-p2-media' });
  });

  it('escapes what charts expand themselves, so Flux hands it over unchanged', () => {
    const loki = perProfile.get('infrastructure/loki/controller/base/releases.yaml')!;
    expect(loki).toContain('$${S3_ACCESS_KEY_ID}');
    expect(loki).not.toMatch(/[^$]\$\{S3_ACCESS_KEY_ID\}/);
    const built = delivered(perProfile, 'p1');
    const release = [...built.entries()].find(([id]) => id.includes('HelmRelease loki/loki'))![1];
    expect(release).toContain('${S3_ACCESS_KEY_ID}');
    expect(release).not.toContain('$${');
  });

  it('passes validation, and a variable without a value is an error naming the cluster', async () => {
    const report = await validateFiles(perProfile, { catalog });
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);

    const broken = new FileSet();
    for (const [path, text] of perProfile.entries()) broken.add(path, path === 'clusters/t2/cluster-vars.yaml' ? text.replace(/\n\s+bucket_postgres: .*/, '') : text);
    const errors = (await validateFiles(broken, { catalog })).findings.filter((f) => f.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.message).toMatch(/^\$\{bucket_postgres\} has no value on cluster t2 /);
    expect(errors.map((e) => e.file)).toContain('infrastructure/postgres/config/profiles/ovhcloud-test/object-stores.yaml');
  });

  it('is refused with Argo CD, naming the answer and what is allowed', () => {
    expect(() => answers({ ...FLEET, engine: 'argocd', secrets: 'sealed-secrets', overlays: 'per-profile' })).toThrow(/overlays.*per-profile needs --engine flux/s);
  });

  it('substitutes as Flux does: $$ is a literal $, defaults, unset and unparsable expressions reported', () => {
    const vars = new Map([['name', 'prod'], ['empty', '']]);
    expect(substitute('a ${name} $${name} $$x $x $ {name} ${empty:=d} ${empty=e} ${unset:-f} ${name:=g}', vars)).toEqual({
      text: 'a prod ${name} $x $x $ {name} d e f prod',
      missing: [],
      unparsable: [],
    });
    expect(substitute('${nope} ${a.b} ${a-b} ${#name} ${name^^}', vars)).toEqual({
      // envsubst's length and case operators are evaluated (fluxcd/pkg envsubst v1.7.0 funcs.go).
      text: ' ${a.b} ${a-b} 4 PROD',
      missing: ['nope'],
      unparsable: ['${a.b}', '${a-b}'],
    });
  });

  it('substitutes a default that is itself a variable, as fluxcd/pkg envsubst (v1.7, eval_test.go) does', () => {
    const vars = new Map([['APP', 'one'], ['CLAIM', 'one-data']]);
    expect(substitute('${CLAIM:-${APP}} ${UNSET:-${APP}-x} ${UNSET:=${ALSO_UNSET:-${APP}}} ${UNSET:-${NOPE}}', vars)).toEqual({
      text: 'one-data one-x one ',
      missing: ['NOPE'],
      unparsable: [],
    });
    // What the default lacks counts only where the default is used.
    expect(substitute('${APP:-${NOPE}}', vars)).toEqual({ text: 'one', missing: [], unparsable: [] });
    // A long line of unclosed expressions (an untrusted merge request) is passed over as unparsable, not scanned again and again.
    expect(substitute('${A:-x\n'.repeat(20_000), vars).unparsable.length).toBe(1);
  });
});
