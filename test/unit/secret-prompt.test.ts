/**
 * Secret values for Secrets that several components read: the hidden prompt says every Secret a value
 * goes into (one object storage key per cluster feeds Loki, Mimir, Tempo, the databases' backups, Keycloak
 * and Velero alike), and a value can be given to one consumer by its namespace, except where the backend
 * holds one key only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAnswers, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { buildPlan } from '../../lib/plan.js';
import type { QuestionContext } from '../../lib/questions.js';
import { secretEnvName, secretSpecs } from '../../lib/secrets/specs.js';
import { collectSecretValues, sharePrompt, valueKey, valuePrompt } from '../../lib/secrets/values.js';

const ctx: QuestionContext = { catalog: loadCatalog(), directoryName: 'gemeente-x' };
const specsFor = (components: string[], extra: Record<string, unknown> = {}) =>
  secretSpecs(buildPlan(resolveAnswers(withDefaults({ name: 'x', provider: 'ovhcloud', clusters: ['prod'], components, ...extra }, ctx), ctx), ctx.catalog));
const scratch = mkdtempSync(join(tmpdir(), 'hp-values-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const repository = join(scratch, 'repo');

describe('valuePrompt', () => {
  it('names each Secret a shared object storage key goes into', () => {
    const specs = specsFor(['loki', 'postgres', 'velero']);
    const s3 = specs.filter((s) => s.name === 's3-credentials');
    const message = valuePrompt(s3, s3[0].keys[0]);
    expect(message).toMatch(/^cluster prod: s3-credentials S3_ACCESS_KEY_ID \(access key ID; one value for 3 Secrets: /);
    for (const consumer of ['loki/s3-credentials (loki)', 'databases/s3-credentials (postgres)', 'velero/s3-credentials (velero)']) expect(message).toContain(consumer);
    expect(message).not.toMatch(/Loki buckets/);
    expect(sharePrompt(s3)).toBe('cluster prod: use one s3-credentials value for all 3 Secrets of that name (loki for loki, databases for postgres, velero for velero)? (no: a key of its own for each)');
  });

  it("a value only one Secret takes says that Secret's namespace and purpose", () => {
    const [s3] = specsFor(['postgres']).filter((s) => s.name === 's3-credentials');
    expect(valuePrompt([s3], s3.keys[0])).toBe(`cluster prod: databases/s3-credentials S3_ACCESS_KEY_ID (access key ID; ${s3.description}); empty to provide it later`);
  });
});

describe('collectSecretValues: a key for each consumer', () => {
  const specs = specsFor(['loki', 'postgres', 'velero']);
  const value = (values: Map<string, string>, namespace: string, key = 'S3_ACCESS_KEY_ID') => values.get(valueKey({ cluster: 'prod', namespace, name: 's3-credentials' }, key));
  const file = (text: string) => {
    const path = join(scratch, `values-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  /** Both keys of s3-credentials at one level: the ID given, its secret made from it. */
  const pair = (id: string, cluster?: string, namespace?: string) => ({
    [secretEnvName('s3-credentials', 'S3_ACCESS_KEY_ID', cluster, namespace)]: id,
    [secretEnvName('s3-credentials', 'S3_SECRET_ACCESS_KEY', cluster, namespace)]: `${id}-secret`,
  });
  const collect = (env: Record<string, string | undefined>, secretFile?: string, on = specs) => collectSecretValues(on, { env, file: secretFile, clusters: ['prod'], repository });

  it('the most specific value wins: cluster and namespace, cluster, namespace, every cluster; a pair stays a pair', () => {
    expect(secretEnvName('s3-credentials', 'S3_ACCESS_KEY_ID', 'prod', 'velero')).toBe('HAVEN_PLUS_SECRET_PROD__S3_CREDENTIALS__S3_ACCESS_KEY_ID__IN__VELERO');
    const all = { ...pair('GKshared'), ...pair('GKloki', undefined, 'loki'), ...pair('GKprod', 'prod'), ...pair('GKprodvelero', 'prod', 'velero') };
    const values = collect(all);
    expect([value(values, 'loki'), value(values, 'databases'), value(values, 'velero')]).toEqual(['GKprod', 'GKprod', 'GKprodvelero']);
    expect(value(values, 'velero', 'S3_SECRET_ACCESS_KEY')).toBe('GKprodvelero-secret');
    const noCluster = collect({ ...pair('GKshared'), ...pair('GKloki', undefined, 'loki'), ...pair('GKprodvelero', 'prod', 'velero') });
    expect([value(noCluster, 'loki'), value(noCluster, 'databases'), value(noCluster, 'velero')]).toEqual(['GKloki', 'GKshared', 'GKprodvelero']);
    expect(value(noCluster, 'loki', 'S3_SECRET_ACCESS_KEY')).toBe('GKloki-secret');
  });

  it('an ID at one level and its secret at another is refused, naming both', () => {
    const env = { [secretEnvName('s3-credentials', 'S3_ACCESS_KEY_ID', undefined, 'loki')]: 'GKloki', ...pair('GKshared') };
    expect(() => collect(env)).toThrow('loki/s3-credentials on cluster prod: S3_ACCESS_KEY_ID is given for namespace loki, S3_SECRET_ACCESS_KEY is not: give every key of a Secret at one level');
  });

  it('the secret file names one consumer as namespace/name; the environment beats it at the same level', () => {
    const path = file('secrets:\n  s3-credentials:\n    S3_ACCESS_KEY_ID: GKfile\n    S3_SECRET_ACCESS_KEY: s1\n  loki/s3-credentials:\n    S3_ACCESS_KEY_ID: GKfileloki\n    S3_SECRET_ACCESS_KEY: s2\nclusters:\n  prod:\n    velero/s3-credentials:\n      S3_ACCESS_KEY_ID: GKfilevelero\n      S3_SECRET_ACCESS_KEY: s3\n');
    const values = collect(pair('GKenvdb', undefined, 'databases'), path);
    expect([value(values, 'loki'), value(values, 'databases'), value(values, 'velero')]).toEqual(['GKfileloki', 'GKenvdb', 'GKfilevelero']);
  });

  it('a namespace no Secret of that name is in is refused, naming what is allowed', () => {
    const path = file('secrets:\n  mimir/s3-credentials:\n    S3_ACCESS_KEY_ID: GKx\n');
    expect(() => collect({}, path)).toThrow(
      'secrets.mimir/s3-credentials: is not a Secret this platform needs (allowed: s3-credentials, velero-repo-credentials; or one of them as namespace/name: loki/s3-credentials, databases/s3-credentials, velero/s3-credentials, velero/velero-repo-credentials)',
    );
  });

  it('a HAVEN_PLUS_SECRET_ variable that names nothing here (a misspelt namespace, say) is refused, never its value echoed', () => {
    const env = { ...pair('GKshared'), HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_ACCESS_KEY_ID__IN__LOKKI: 'hunter2-value' };
    expect(() => collect(env)).toThrow(/HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_ACCESS_KEY_ID__IN__LOKKI: names no Secret value this platform takes \(its Secrets: s3-credentials, velero-repo-credentials; namespaces: loki, databases, velero/);
    try {
      collect(env);
    } catch (e) {
      expect(String(e)).not.toContain('hunter2-value');
    }
  });

  it('where the backend holds one key (SeaweedFS), a value for one consumer is refused: it would not open the store', () => {
    const owned = specsFor(['loki', 'postgres'], { 'object-storage': 'seaweedfs' });
    expect(owned.filter((s) => s.name === 's3-credentials').map((s) => s.oneValue)).toEqual(['seaweedfs', 'seaweedfs', 'seaweedfs']);
    expect(() => collect(pair('GKloki', undefined, 'loki'), undefined, owned)).toThrow(/loki\/s3-credentials on cluster prod: a value for namespace loki alone is refused: seaweedfs holds one key, its own s3-credentials/);
    // One value for all is fine.
    const one = collect(pair('GKshared'), undefined, owned);
    expect(new Set(owned.filter((s) => s.name === 's3-credentials').map((s) => one.get(valueKey(s, 'S3_ACCESS_KEY_ID'))))).toEqual(new Set(['GKshared']));
  });
});
