import { describe, expect, it } from 'vitest';
import { normaliseRaw, promptProblem, resolveAnswers, toStored, withDefaults } from '../../lib/answers.js';
import { loadCatalog } from '../../lib/catalog.js';
import { AnswersError } from '../../lib/errors.js';
import { gatherAnswers, resolveNonInteractive } from '../../lib/generate.js';
import { buildPlan } from '../../lib/plan.js';
import { QUESTIONS, type QuestionContext, type RawAnswers } from '../../lib/questions.js';
import { tempDir } from '../helpers.js';

const ctx: QuestionContext = { catalog: loadCatalog(), directoryName: 'gemeente-x' };
const resolveWithDefaults = (raw: RawAnswers) => resolveAnswers(withDefaults(raw, ctx), ctx);

function problemsOf(raw: RawAnswers): { answer: string; problem: string; allowed?: string }[] {
  try {
    resolveWithDefaults(raw);
  } catch (error) {
    if (error instanceof AnswersError) return error.problems;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
}

describe('answers', () => {
  it('fills sensible defaults for --yes', () => {
    const a = resolveWithDefaults({});
    expect(a).toMatchObject({
      name: 'gemeente-x',
      engine: 'flux',
      provider: 'local',
      clusters: [{ name: 'local', provider: 'local' }],
      components: ['object-storage', 'postgres'],
      databases: ['app'],
      buckets: [],
      git: true,
      branch: 'main',
      push: false,
    });
    expect(a.objectStorage).toBeUndefined();
  });

  it('defaults the cluster to prod on a cloud provider and parses name:provider', () => {
    expect(resolveWithDefaults({ provider: 'ovhcloud' }).clusters).toEqual([{ name: 'prod', provider: 'ovhcloud', components: [] }]);
    const a = resolveWithDefaults({ provider: 'ovhcloud', clusters: ['acc', 'prod:scaleway'], 'cluster-components': ['prod=velero'] });
    expect(a.clusters).toEqual([
      { name: 'acc', provider: 'ovhcloud', components: [] },
      { name: 'prod', provider: 'scaleway', components: ['velero'] },
    ]);
  });

  it('reports every missing answer at once when defaults are not allowed', () => {
    try {
      resolveNonInteractive({}, ctx, false);
      expect.fail('should throw');
    } catch (error) {
      const names = (error as AnswersError).problems.map((p) => p.answer);
      expect(names).toEqual(['name', 'engine', 'provider', 'clusters', 'preset', 'components', 'secrets', 'branch']);
      expect((error as Error).message).toContain('name: is missing');
    }
  });

  it.each([
    ['Bad_Name', 'not a DNS-1123 label'],
    ['UPPER', 'not a DNS-1123 label'],
    ['a\nb: c', 'not a DNS-1123 label'],
    ['../etc', 'not a DNS-1123 label'],
    ['{{evil}}', 'not a DNS-1123 label'],
    ['x"y', 'not a DNS-1123 label'],
    ['a:b', 'not a DNS-1123 label'],
    ['a#b', 'not a DNS-1123 label'],
    ['$(rm -rf /)', 'not a DNS-1123 label'],
    ['pr\u043Ed', 'not a DNS-1123 label'], // Cyrillic о, a look-alike
    ['-lead', 'not a DNS-1123 label'],
    ['x'.repeat(64), 'the limit is 63'],
    ['x'.repeat(254), 'the limit is 63'],
  ])('refuses the name %j with a message naming the rule', (name, message) => {
    const problems = problemsOf({ name });
    expect(problems).toHaveLength(1);
    expect(problems[0].answer).toBe('name');
    expect(problems[0].problem).toContain(message);
    expect(problems[0].allowed).toContain('lowercase letters');
  });

  it('names every bad value in one report', () => {
    const problems = problemsOf({ name: 'Bad_Name', provider: 'aws', components: ['postgres', 'mongodb'], engine: 'jenkins' });
    const byAnswer = Object.fromEntries(problems.map((p) => [p.answer, p.problem]));
    expect(byAnswer.name).toContain('"Bad_Name"');
    expect(byAnswer.provider).toContain('"aws" is not one of the choices');
    expect(byAnswer.components).toContain('"mongodb" is not one of the choices');
    expect(byAnswer.engine).toContain('"jenkins"');
  });

  it('refuses a client namespace that could inject into a NetworkPolicy', () => {
    expect(problemsOf({ 'database-clients': ['apps', 'x]\n  evil: {}'] })[0]).toMatchObject({ answer: 'database-clients' });
  });

  it('refuses unknown clusters providers, duplicates and empty lists', () => {
    expect(problemsOf({ clusters: ['prod:aws'] })[0].problem).toBe('unknown provider "aws" for cluster prod');
    expect(problemsOf({ clusters: ['prod:scalway'] })[0].problem).toBe('unknown provider "scalway" for cluster prod; did you mean "scaleway"?');
    expect(problemsOf({ engine: 'argocd', topology: 'hub', clusters: ['hub', 'prod'], 'hub-cluster': 'prd' }).find((p) => p.answer === 'hub-cluster')?.problem).toBe('"prd" is not a cluster of this platform; did you mean "prod"? (clusters: hub, prod)');
    expect(problemsOf({ clusters: ['prod', 'prod:scaleway'] })[0].problem).toContain('"prod" is given twice');
    expect(problemsOf({ databases: ['app', 'app'] })[0].problem).toContain('given twice');
    expect(problemsOf({ components: [] })[0].problem).toContain('at least one');
  });

  it('checks components for single clusters: a known cluster, a component, not one that runs everywhere', () => {
    const base = { clusters: ['acc', 'prod'], components: ['postgres'] };
    expect(problemsOf({ ...base, 'cluster-components': ['test=velero'] })[0].problem).toBe('"test" is not one of the clusters (acc, prod)');
    expect(problemsOf({ ...base, 'cluster-components': ['prod=nope'] })[0].problem).toBe('"nope" is not a component');
    expect(problemsOf({ ...base, 'cluster-components': ['prod=postgres'] })[0].problem).toBe('postgres already runs on every cluster (--components)');
    expect(problemsOf({ ...base, 'cluster-components': ['velero'] })[0].problem).toBe('"velero" is not cluster=component');
    expect(problemsOf({ ...base, 'cluster-components': ['prod=velero', 'prod=velero'] })[0].problem).toContain('given twice');
    // Velero on prod only: the plan runs it (and what it needs) there, and the stored form keeps it.
    const a = resolveWithDefaults({ ...base, provider: 'scaleway', 'cluster-components': ['prod=velero'] });
    const plan = buildPlan(a, ctx.catalog);
    expect(plan.clusters.find((c) => c.name === 'prod')!.components).toContain('velero');
    expect(plan.clusters.find((c) => c.name === 'acc')!.components).not.toContain('velero');
    expect(toStored(a)['cluster-components']).toEqual(['prod=velero']);
  });

  it.each([
    ['https://user:token@gitlab.example.nl/x.git', 'credentials'],
    ['https://oauth2@gitlab.example.nl/x.git', 'credentials'],
    ['https://gitlab.example.nl/x.git; rm -rf ~', 'characters that are not allowed'],
    ['ftp://example.nl/x.git', 'not supported'],
    ['https://gitlab.example.nl/x.git\n', 'characters that are not allowed'],
  ])('refuses the git remote %j', (remote, message) => {
    const problems = problemsOf({ 'git-remote': remote });
    expect(problems.map((p) => p.answer)).toContain('git-remote');
    expect(problems.find((p) => p.answer === 'git-remote')!.problem).toContain(message);
  });

  it.each(['https://gitlab.com/gemeente/platform.git', 'git@gitlab.com:gemeente/platform.git', 'ssh://git@gitlab.com/gemeente/platform.git', 'file:///srv/git/platform.git'])(
    'accepts the git remote %s',
    (remote) => {
      expect(resolveWithDefaults({ 'git-remote': remote }).gitRemote).toBe(remote);
    },
  );

  it('requires a git remote for Argo CD and for --push', () => {
    expect(problemsOf({ engine: 'argocd' })[0]).toMatchObject({ answer: 'git-remote' });
    expect(problemsOf({ push: true, 'git-remote': undefined }).map((p) => p.answer)).toContain('push');
  });

  it('requires an S3 endpoint where the profile has none, and suggests garage', () => {
    const problems = problemsOf({ provider: 'upcloud' });
    expect(problems[0].answer).toBe('s3-endpoint');
    expect(problems[0].problem).toContain('upcloudobjects.com');
    expect(problems[0].allowed).toContain('--object-storage garage');
    expect(resolveWithDefaults({ provider: 'upcloud', 's3-endpoint': 'https://abc.upcloudobjects.com' }).s3Endpoint).toBe('https://abc.upcloudobjects.com');
  });

  it("takes a cluster's own S3 endpoint (--cluster-settings), also for a cluster on another provider than the default", () => {
    const raw = (settings?: string): RawAnswers => ({ provider: 'ovhcloud', clusters: ['prod', 'upc:upcloud'], ...(settings ? { 'cluster-settings': [settings] } : {}) });
    expect(problemsOf(raw()).map((p) => `${p.answer}: ${p.allowed}`)).toEqual(['s3-endpoint: --cluster-settings upc.s3-endpoint=<url> (or --s3-endpoint <url> for clusters on the default provider), or --object-storage garage']);
    expect(resolveWithDefaults(raw('upc.s3-endpoint=https://abc.upcloudobjects.com')).clusters.find((c) => c.name === 'upc')?.s3Endpoint).toBe('https://abc.upcloudobjects.com');
  });

  it('checks the region against the profile', () => {
    expect(problemsOf({ provider: 'ovhcloud', region: 'us-east-1' })[0]).toMatchObject({ answer: 'region', allowed: expect.stringContaining('gra') });
    expect(resolveWithDefaults({ provider: 'ovhcloud', region: 'sbg' }).region).toBe('sbg');
  });

  it('refuses bucket names longer than S3 allows', () => {
    const problems = problemsOf({ name: 'a'.repeat(40), clusters: ['b'.repeat(20)] });
    expect(problems[0].problem).toContain('S3 allows 63');
  });

  it('normalises flags and files: comma lists, booleans, unknown keys, wrong types', () => {
    expect(normaliseRaw({ clusters: 'a, b,', git: 'false' }, 'flags').answers).toEqual({ clusters: ['a', 'b'], git: false });
    const { problems } = normaliseRaw({ nmae: 'x', databases: 3, push: 'yes' }, 'answers.yaml');
    expect(problems.map((p) => p.answer)).toEqual(['nmae', 'databases', 'push']);
    expect(problems[0].problem).toContain('not a known answer (in answers.yaml)');
  });

  it('stores answers in table order, so .yo-rc.json is stable', () => {
    const stored = toStored(resolveWithDefaults({ clusters: ['b', 'a:ovhcloud'], provider: 'local' }));
    const order = QUESTIONS.map((q) => q.name).filter((n) => n in stored);
    expect(Object.keys(stored)).toEqual(order);
    expect(stored.clusters).toEqual(['b', 'a:ovhcloud']);
    // The stored form resolves to the same answers (a re-run asks nothing).
    expect(resolveAnswers(normaliseRaw(stored, '.yo-rc.json').answers, ctx)).toEqual(resolveWithDefaults({ clusters: ['b', 'a:ovhcloud'], provider: 'local' }));
  });
  it('takes components from a preset, unless --components is given', () => {
    const preset = resolveWithDefaults({ preset: 'haven-plus', 'keycloak-hostname': 'sso.{cluster}.example.nl' });
    expect(preset.components).toEqual(loadCatalog().presets.get('haven-plus')!.components);
    expect(toStored(preset).preset).toBe('haven-plus');
    const explicit = resolveWithDefaults({ components: ['postgres'] });
    expect(explicit.preset).toBeUndefined();
    expect(toStored(explicit)).not.toHaveProperty('preset');
    expect(resolveWithDefaults({}).components).toEqual(['object-storage', 'postgres']);
    expect(problemsOf({ preset: 'everything' })[0]).toMatchObject({ answer: 'preset', allowed: 'haven-compliance, haven-plus, minimal' });
  });

  it('chooses the certificate issuer: Let\'s Encrypt with an ACME email, a private CA without', () => {
    expect(resolveWithDefaults({ components: ['cert-manager'] }).certificateIssuer).toBe('private-ca');
    expect(resolveWithDefaults({ components: ['object-storage'] }).certificateIssuer).toBeUndefined();
    const le = resolveWithDefaults({ components: ['cert-manager', 'gateway'], 'acme-email': 'platform@gemeente.example.nl' });
    expect(le).toMatchObject({ certificateIssuer: 'letsencrypt', acmeEmail: 'platform@gemeente.example.nl' });
    expect(problemsOf({ components: ['cert-manager', 'gateway'], 'certificate-issuer': 'letsencrypt' })[0]).toMatchObject({
      answer: 'acme-email',
      problem: expect.stringContaining("is missing (the ClusterIssuers register a Let's Encrypt account with this contact address"),
    });
    for (const bad of ['not-an-email', 'a@b', 'x@-bad-.nl', 'a b@example.nl', 'a@example.nl\nemail: evil@x.nl', '.a@example.nl']) {
      expect(problemsOf({ components: ['cert-manager', 'gateway'], 'acme-email': bad })[0], bad).toMatchObject({ answer: 'acme-email', allowed: expect.stringContaining('local@domain') });
    }
    expect(problemsOf({ components: ['cert-manager'], 'certificate-issuer': 'private-ca', 'acme-email': 'a@example.nl' })[0]).toMatchObject({
      answer: 'acme-email',
      problem: 'is only used with --certificate-issuer letsencrypt, not private-ca',
    });
  });
  it('takes tenants as name=url and refuses what could not be a tenant', () => {
    expect(resolveWithDefaults({ tenants: ['sociaal=https://git.example.nl/sociaal/apps.git'] }).tenants).toEqual([{ name: 'sociaal', url: 'https://git.example.nl/sociaal/apps.git' }]);
    const cases: [string, RegExp][] = [
      ['sociaal', /has no git URL/],
      ['Sociaal=https://git.example.nl/a.git', /not a DNS-1123 label/],
      ['sociaal=git@git.example.nl:a.git', /not an https:\/\/ or ssh:\/\/ URL/],
      ['sociaal=https://user:token@git.example.nl/a.git', /contains credentials/],
      ['sociaal=https://git.example.nl/a b.git', /characters that are not allowed/],
      ['databases=https://git.example.nl/a.git', /is a namespace of the platform or of Kubernetes/],
      ['kube-x=https://git.example.nl/a.git', /is a namespace of the platform or of Kubernetes/],
    ];
    for (const [spec, problem] of cases) expect(problemsOf({ tenants: [spec] })[0]?.problem, spec).toMatch(problem);
    expect(problemsOf({ tenants: ['a=https://git.example.nl/a.git', 'a=https://git.example.nl/b.git'] })[0].problem).toBe('"a" is given twice');
  });
  it('asks Keycloak\'s hostname per cluster, with {cluster} when there are several', () => {
    expect(problemsOf({ components: ['keycloak'] })[0]).toMatchObject({ answer: 'keycloak-hostname', problem: expect.stringContaining('is missing (Keycloak serves OpenID Connect') });
    expect(problemsOf({ components: ['keycloak'], clusters: ['acc', 'prod'], 'keycloak-hostname': 'sso.example.nl' })[0].problem).toContain('put {cluster} in it');
    expect(problemsOf({ components: ['keycloak'], 'keycloak-hostname': 'sso' })[0].problem).toContain('not a fully qualified hostname');
    expect(problemsOf({ components: ['keycloak'], 'keycloak-hostname': 'sso.{cluster}.Example.nl' })[0].answer).toBe('keycloak-hostname');
    const p = buildPlan(resolveWithDefaults({ components: ['keycloak'], clusters: ['acc', 'prod'], 'keycloak-hostname': 'sso.{cluster}.example.nl' }), ctx.catalog);
    expect(p.clusters.map((c) => c.keycloakHostname)).toEqual(['sso.acc.example.nl', 'sso.prod.example.nl']);
  });
  it('asks the DNS zone for external-dns and refuses it where there is no DNS service', () => {
    expect(problemsOf({ components: ['external-dns'], provider: 'scaleway' })[0]).toMatchObject({ answer: 'domain', problem: expect.stringContaining('is missing (ExternalDNS only touches records in a zone you name') });
    expect(problemsOf({ components: ['external-dns'], provider: 'scaleway', domain: 'nl' })[0].problem).toContain('not a DNS zone');
    expect(problemsOf({ components: ['external-dns'], provider: 'scaleway', domain: 'apps.gemeente.nl.' })[0].answer).toBe('domain');
    expect(problemsOf({ components: ['external-dns'], provider: 'local', domain: 'apps.gemeente.nl' })[0].problem).toBe('external-dns has no DNS service to manage on cluster local (local)');
    expect(resolveWithDefaults({ components: ['external-dns'], provider: 'scaleway', domain: 'apps.gemeente.nl' }).domain).toBe('apps.gemeente.nl');
  });
});

describe('keyed list answers across sources', () => {
  it('merges cluster settings and held versions by key: a flag sets its keys, keeps the others, and an empty value unsets one; a clusters file replaces the settings', async () => {

    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const stored = {
      clusters: ['t1', 'p1'],
      'cluster-settings': ['t1.environment=test', 'p1.environment=production', 'p1.region=sbg'],
      'environment-versions': ['production.loki=6.0.0', 'production.velero=10.0.0'],
    };
    const merged = gatherAnswers({ stored, flags: { 'cluster-settings': ['p1.region=gra', 'p2.environment=production', 't1.environment='], 'environment-versions': ['production.loki='] } });
    expect(merged.problems).toEqual([]);
    expect(merged.raw['cluster-settings']).toEqual(['p1.environment=production', 'p1.region=gra', 'p2.environment=production']);
    expect(merged.raw['environment-versions']).toEqual(['production.velero=10.0.0']);
    // Without flags for them, the stored lists stay as they are.
    expect(gatherAnswers({ stored, flags: {} }).raw['cluster-settings']).toEqual(stored['cluster-settings']);
    // A malformed item is kept for its check to name.
    expect(gatherAnswers({ stored, flags: { 'cluster-settings': ['bogus'] } }).raw['cluster-settings']).toContain('bogus');

    const file = join(tempDir('keyed-'), 'clusters.yaml');
    writeFileSync(file, 'clusters:\n  - name: a\n    environment: acceptance\n');
    const fleet = gatherAnswers({ stored, clustersFile: file, flags: { 'cluster-settings': ['a.region=nl-ams'] } });
    expect(fleet.raw['cluster-settings']).toEqual(['a.environment=acceptance', 'a.region=nl-ams']);
  });
});

describe('answers implied by a later source', () => {
  it('--acme-email on a re-run implies the Let\'s Encrypt issuer over a stored private-ca; given with it, the issuer stands', () => {
    const stored = { 'certificate-issuer': 'private-ca', engine: 'flux', provider: 'ovhcloud' };
    const implied = gatherAnswers({ stored, flags: { 'acme-email': 'platform@gemeente.example.nl' } }).raw;
    expect(implied['certificate-issuer']).toBeUndefined();
    expect(withDefaults(implied, ctx)['certificate-issuer']).toBe('letsencrypt');
    expect(gatherAnswers({ stored, flags: { 'acme-email': 'platform@gemeente.example.nl', 'certificate-issuer': 'private-ca' } }).raw['certificate-issuer']).toBe('private-ca');
    expect(gatherAnswers({ stored, flags: {} }).raw['certificate-issuer']).toBe('private-ca');
  });
});

describe('promptProblem: a prompt checks an answer with the rules of its flag, across answers too', () => {
  const q = (name: string) => QUESTIONS.find((x) => x.name === name)!;
  it('an empty Git remote is refused where it is typed with Argo CD, accepted with Flux', () => {
    expect(promptProblem(q('git-remote'), undefined, { name: 'x', engine: 'argocd' }, ctx)).toBe(
      'is required with --engine argocd: every Application points at the repository URL (allowed: the URL Argo CD will clone, e.g. https://gitlab.example.nl/platform/gitops.git)',
    );
    expect(promptProblem(q('git-remote'), undefined, { name: 'x', engine: 'flux' }, ctx)).toBeUndefined();
    expect(promptProblem(q('git-remote'), 'https://gitlab.example.nl/p/g.git', { name: 'x', engine: 'argocd' }, ctx)).toBeUndefined();
  });
  it('a git:// remote is refused with Flux, and a malformed one by its own check first', () => {
    expect(promptProblem(q('git-remote'), 'git://gitlab.example.nl/p/g.git', { name: 'x', engine: 'flux' }, ctx)).toMatch(/^"git:\/\/gitlab.example.nl\/p\/g.git" is a git:\/\/ URL, which Flux cannot clone/);
    expect(promptProblem(q('git-remote'), 'not a url', { name: 'x', engine: 'flux' }, ctx)).toBeDefined();
  });
  it('a file:// remote is refused with Argo CD (a path on this machine), accepted with Flux (pushed to; flux bootstrap takes the URL)', () => {
    expect(promptProblem(q('git-remote'), 'file:///srv/git/p.git', { name: 'x', engine: 'argocd' }, ctx)).toMatch(/^"file:\/\/\/srv\/git\/p.git" is a path on this machine, which Argo CD cannot fetch/);
    expect(promptProblem(q('git-remote'), 'file:///srv/git/p.git', { name: 'x', engine: 'flux' }, ctx)).toBeUndefined();
    expect(problemsOf({ engine: 'argocd', 'git-remote': 'file:///srv/git/p.git' }).map((p) => p.answer)).toEqual(['git-remote']);
  });
  it('says nothing about problems of other answers (those are asked at their own prompts)', () => {
    expect(promptProblem(q('name'), 'fine-name', { engine: 'argocd' }, ctx)).toBeUndefined();
  });
});

describe('a choice that does not apply', () => {
  it('is refused when misspelt, and dropped from what is stored when valid', () => {
    const raw = (gateway: string): RawAnswers => withDefaults({ preset: 'haven-compliance', gateway, provider: 'local' }, ctx);
    expect(() => resolveAnswers(raw('istoi'), ctx)).toThrow(AnswersError);
    try {
      resolveAnswers(raw('istoi'), ctx);
    } catch (e) {
      expect((e as AnswersError).problems).toEqual([{ answer: 'gateway', problem: '"istoi" is not one of the choices', allowed: 'envoy, istio or traefik' }]);
    }
    const a = resolveAnswers(raw('istio'), ctx);
    expect(a.gateway).toBeUndefined();
    expect(toStored(a)).not.toHaveProperty('gateway');
  });
});
