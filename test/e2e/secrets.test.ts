/**
 * Secrets end to end, through the bin, with real git, real age (Debian's binary), real SOPS
 * decryption (sops-age plus an independent MAC check) and a real RSA certificate from openssl:
 * nothing secret ever reaches the working tree or the git history.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptSops } from 'sops-age';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { git, listFiles, readTree, runBin, tempDir } from '../helpers.js';
import { decryptAndVerify } from '../sops-verify.js';
import { unseal } from '../unseal.js';

const ACCESS = 'GKhavenplustest0123456789';
const SECRET = 'zeer-geheim-3f9a1c77d2e84b6f';
const REMOTE = 'https://gitlab.example.nl/platform/gitops.git';
const valueEnv = (id: string, secret: string) => ({
  HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_ACCESS_KEY_ID: id,
  HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_SECRET_ACCESS_KEY: secret,
});
const secretFile = (cluster: string, strategy: string) => `infrastructure/postgres/config/overlays/${cluster}/s3-credentials.${strategy}.yaml`;

/** Everything git and the working tree hold, as text: files, every commit's patch, the config. */
async function everything(dir: string): Promise<string> {
  const tree = [...readTree(dir).values()].join('\n');
  const history = await git(dir, ['log', '-p', '--all', '--format=%H %an %s%n%b']);
  return `${tree}\n${history}\n${readFileSync(join(dir, '.git', 'config'), 'utf8')}`;
}

describe('secrets: sops (Flux)', () => {
  it('on a re-run of a committed repository (day 2), --age-generate writes the key and encrypts what was waiting for it', async () => {
    const cwd = tempDir();
    expect((await runBin(['later', '--yes', '--provider', 'ovhcloud'], { cwd })).exitCode).toBe(0);
    const dir = join(cwd, 'later');
    expect(existsSync(join(dir, secretFile('prod', 'sops')))).toBe(false);
    const keyFile = join(cwd, 'keys.txt');
    const run = await runBin(['--age-generate'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: keyFile, ...valueEnv(ACCESS, SECRET) } });
    expect(run.exitCode, run.all).toBe(0);
    const identity = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m.exec(readFileSync(keyFile, 'utf8'))![0];
    const plain = (await decryptSops(readFileSync(join(dir, secretFile('prod', 'sops')), 'utf8'), { secretKey: identity, fileType: 'yaml' })) as { stringData: Record<string, string> };
    expect(plain.stringData).toEqual({ S3_ACCESS_KEY_ID: ACCESS, S3_SECRET_ACCESS_KEY: SECRET });
    expect(await git(dir, ['status', '--porcelain'])).toBe('');
  });

  it('encrypts with a generated age key that stays outside the repository, as real SOPS', async () => {
    const cwd = tempDir();
    const keyFile = join(cwd, 'config', 'sops', 'age', 'keys.txt');
    const run = await runBin(['platform', '--yes', '--provider', 'ovhcloud', '--clusters', 'prod,lab:local', '--age-generate'], {
      cwd,
      env: { SOPS_AGE_KEY_FILE: keyFile, ...valueEnv(ACCESS, SECRET) },
    });
    expect(run.exitCode, run.all).toBe(0);
    const dir = join(cwd, 'platform');

    // The private key: in the SOPS key file, 0600, in age-keygen's format; the public key printed and stored.
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keyText = readFileSync(keyFile, 'utf8');
    const identity = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m.exec(keyText)![0];
    const recipient = /^# public key: (age1[0-9a-z]{58})$/m.exec(keyText)![1];
    expect(run.stdout + run.stderr).toContain(recipient);
    expect((parse(readFileSync(join(dir, '.sops.yaml'), 'utf8')) as { creation_rules: { age: string }[] }).creation_rules[0].age).toBe(recipient);
    expect(JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers['age-recipient']).toEqual([recipient]);

    const ageKeyFile = join(cwd, 'identity.txt');
    writeFileSync(ageKeyFile, `${identity}\n`, { mode: 0o600 });
    for (const cluster of ['prod', 'lab']) {
      const text = readFileSync(join(dir, secretFile(cluster, 'sops')), 'utf8');
      // An independent implementation decrypts it...
      const plain = (await decryptSops(text, { secretKey: identity, fileType: 'yaml' })) as { stringData: Record<string, string>; metadata: { name: string; namespace: string } };
      expect(plain.stringData).toEqual({ S3_ACCESS_KEY_ID: ACCESS, S3_SECRET_ACCESS_KEY: SECRET });
      expect(plain.metadata).toEqual({ name: 's3-credentials', namespace: 'databases', annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } });
      // ...the MAC is the one sops computes (and breaks when anything is changed)...
      const check = await decryptAndVerify(text, identity);
      expect(check.macOk).toBe(true);
      expect((await decryptAndVerify(text.replace('namespace: databases', 'namespace: other'), identity)).macOk).toBe(false);
      // ...and Debian's age opens the data key.
      const armored = (parse(text) as { sops: { age: { enc: string }[] } }).sops.age[0].enc;
      // The data key is random bytes: one may be a final newline, which execa would strip by default.
      const opened = await execa('age', ['--decrypt', '--identity', ageKeyFile], { input: armored, encoding: 'buffer', stripFinalNewline: false });
      expect(Buffer.from(opened.stdout)).toEqual(check.dataKey);
      expect(parse(readFileSync(join(dir, `infrastructure/postgres/config/overlays/${cluster}/kustomization.yaml`), 'utf8')).resources).toContain('s3-credentials.sops.yaml');
      // Exactly the Kustomizations that hold an encrypted file decrypt, with the sops-age Secret: a cluster
      // whose key is not loaded yet still gets everything else.
      const decrypting: string[] = [];
      for (const file of listFiles(join(dir, 'clusters', cluster, 'infrastructure'))) {
        for (const doc of parseAllDocuments(readFileSync(join(dir, 'clusters', cluster, 'infrastructure', file), 'utf8'))) {
          const spec = doc.toJS().spec as { decryption?: unknown };
          if (spec.decryption === undefined) continue;
          expect(spec.decryption, file).toEqual({ provider: 'sops', secretRef: { name: 'sops-age' } });
          decrypting.push(doc.toJS().metadata.name as string);
        }
      }
      expect(decrypting).toEqual(['postgres-config']);
    }

    // No value and no private key anywhere in the tree or the history.
    const all = await everything(dir);
    for (const needle of [ACCESS, SECRET, identity, 'AGE-SECRET-KEY']) expect(all).not.toContain(needle);
    const validated = await runBin(['validate', 'platform'], { cwd });
    expect(validated.exitCode, validated.stdout).toBe(0);

    // A re-run without values keeps the encrypted files byte for byte and commits nothing.
    const before = readFileSync(join(dir, secretFile('prod', 'sops')), 'utf8');
    const again = await runBin(['platform', '--yes'], { cwd, env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).toContain('Nothing changed');
    expect(readFileSync(join(dir, secretFile('prod', 'sops')), 'utf8')).toBe(before);
    expect(readFileSync(keyFile, 'utf8')).toBe(keyText);

    // New values (one cluster only) re-encrypt that cluster's file; the other stays.
    const lab = readFileSync(join(dir, secretFile('lab', 'sops')), 'utf8');
    const rotated = await runBin(['platform', '--yes'], {
      cwd,
      env: { HAVEN_PLUS_SECRET_PROD__S3_CREDENTIALS__S3_ACCESS_KEY_ID: 'GKrotated', HAVEN_PLUS_SECRET_PROD__S3_CREDENTIALS__S3_SECRET_ACCESS_KEY: 'rotated-secret-value' },
    });
    expect(rotated.exitCode, rotated.all).toBe(0);
    const prod = (await decryptAndVerify(readFileSync(join(dir, secretFile('prod', 'sops')), 'utf8'), identity)).plain as { stringData: Record<string, string> };
    expect(prod.stringData.S3_SECRET_ACCESS_KEY).toBe('rotated-secret-value');
    expect(readFileSync(join(dir, secretFile('lab', 'sops')), 'utf8')).toBe(lab);
    expect(await everything(dir)).not.toContain('rotated-secret-value');
  });

  it('--age-generate where the repository already has a recipient is refused (a second key would open none of its files), nothing changed', async () => {
    const cwd = tempDir();
    const keys = join(cwd, 'keys.txt');
    expect((await runBin(['platform', '--yes', '--provider', 'ovhcloud', '--age-generate'], { cwd, env: { SOPS_AGE_KEY_FILE: keys } })).exitCode).toBe(0);
    const dir = join(cwd, 'platform');
    const head = await git(dir, ['rev-parse', 'HEAD']);
    const key = readFileSync(keys, 'utf8');
    const again = await runBin(['--age-generate'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: keys } });
    expect(again.exitCode, again.all).toBe(2);
    expect(again.stderr).toMatch(/age-generate: this repository already encrypts to age1[0-9a-z]+ \(age-recipient\); a key made now would open none of the files encrypted so far/);
    expect(again.stderr).toContain('sops updatekeys');
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(readFileSync(keys, 'utf8')).toBe(key);
  });

  it('a broken Secret file made by hand is the repository\'s problem, named as such (exit 2), not a generator bug', async () => {
    const cwd = tempDir();
    const keys = join(cwd, 'keys.txt');
    expect((await runBin(['platform', '--yes', '--provider', 'ovhcloud', '--age-generate'], { cwd, env: { SOPS_AGE_KEY_FILE: keys } })).exitCode).toBe(0);
    const dir = join(cwd, 'platform');
    writeFileSync(join(dir, secretFile('prod', 'sops')), '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s3-credentials\n  namespace: databases\nstringData:\n  S3_ACCESS_KEY_ID: plain\n');
    await git(dir, ['add', '-A']);
    await git(dir, ['-c', 'user.name=Op', '-c', 'user.email=op@example.nl', 'commit', '-qm', 'chore: a Secret by hand']);
    const head = await git(dir, ['rev-parse', 'HEAD']);
    const run = await runBin(['.'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: keys } });
    expect(run.exitCode, run.all).toBe(2);
    expect(run.stderr).toContain('Secret files in the repository fail validation, so nothing was written');
    expect(run.stderr).toContain(`${secretFile('prod', 'sops')}:`);
    expect(run.stderr).not.toContain('This is a bug');
    expect(await git(dir, ['rev-parse', 'HEAD'])).toBe(head);
  });

  it('without a recipient writes no secret file and says how to provide it', async () => {
    const cwd = tempDir();
    // A cluster on a provider (a laptop sandbox's script makes its object storage key itself).
    const run = await runBin(['platform', '--yes', '--provider', 'ovhcloud'], { cwd, env: valueEnv(ACCESS, SECRET) });
    expect(run.exitCode, run.all).toBe(0);
    const dir = join(cwd, 'platform');
    expect(listFiles(dir).filter((f) => f.includes('s3-credentials') || f === '.sops.yaml')).toEqual([]);
    expect(run.all).toContain('no age recipient: give --age-recipient or --age-generate');
    const readme = readFileSync(join(dir, 'clusters/prod/README.md'), 'utf8');
    expect(readme).toContain("read -rsp 'HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_SECRET_ACCESS_KEY: ' HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_SECRET_ACCESS_KEY");
    // No recipient, no creation rule in .sops.yaml: the README makes the key first instead of a sops call that would fail.
    expect(readme).toContain('haven-plus . --age-generate');
    expect(readme).not.toContain('sops encrypt');
    expect(await everything(dir)).not.toContain(SECRET);
  });
});

describe('secrets: sealed-secrets (Argo CD)', () => {
  it('seals offline with the controller certificate; the controller key opens exactly that Secret', async () => {
    const cwd = tempDir();
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-days', '30', '-subj', '/CN=sealed-secret/O=sealed-secret', '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd });
    writeFileSync(
      join(cwd, 'values.yaml'),
      `secrets:\n  s3-credentials:\n    S3_ACCESS_KEY_ID: ${ACCESS}\n    S3_SECRET_ACCESS_KEY: "${SECRET}"\nclusters:\n  prod:\n    s3-credentials:\n      S3_ACCESS_KEY_ID: ${ACCESS}prod\n      S3_SECRET_ACCESS_KEY: prod-only-${SECRET}\n`,
    );
    const args = ['platform', '--yes', '--engine', 'argocd', '--git-remote', REMOTE, '--provider', 'ovhcloud', '--clusters', 'prod,lab:scaleway'];
    const run = await runBin([...args, '--sealed-secrets-cert', 'prod=cert.pem', '--secret-file', 'values.yaml'], { cwd });
    expect(run.exitCode, run.all).toBe(0);
    const dir = join(cwd, 'platform');

    const sealed = parse(readFileSync(join(dir, secretFile('prod', 'sealed-secret')), 'utf8')) as { metadata: Record<string, string>; spec: { encryptedData: Record<string, string>; template: unknown } };
    expect(sealed.metadata).toEqual({ name: 's3-credentials', namespace: 'databases' });
    const privateKey = readFileSync(join(cwd, 'key.pem'), 'utf8');
    expect(unseal(privateKey, sealed.spec.encryptedData.S3_ACCESS_KEY_ID, 'databases/s3-credentials')).toBe(`${ACCESS}prod`);
    expect(unseal(privateKey, sealed.spec.encryptedData.S3_SECRET_ACCESS_KEY, 'databases/s3-credentials')).toBe(`prod-only-${SECRET}`);
    // Strict scope: the same ciphertext does not open as another Secret.
    expect(() => unseal(privateKey, sealed.spec.encryptedData.S3_ACCESS_KEY_ID, 'databases/other')).toThrow();
    expect(readFileSync(join(dir, 'clusters/prod/sealed-secrets.pem'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
    // Committed (the .gitignore keeps other *.pem out), so a fresh clone can seal too.
    expect((await git(dir, ['ls-files', 'clusters/prod'])).split('\n')).toContain('clusters/prod/sealed-secrets.pem');
    expect(await git(dir, ['check-ignore', '--no-index', 'clusters/prod/tls.pem', 'keys.txt', 'prod.agekey']).catch(() => '')).toBe('clusters/prod/tls.pem\nkeys.txt\nprod.agekey');

    // The cluster without a certificate gets the kubeseal commands, not a file.
    expect(listFiles(dir)).not.toContain(secretFile('lab', 'sealed-secret'));
    const readme = readFileSync(join(dir, 'clusters/lab/README.md'), 'utf8');
    expect(readme).toContain('kubeseal --fetch-cert --controller-name sealed-secrets-controller --controller-namespace sealed-secrets > clusters/lab/sealed-secrets.pem');
    expect(readme).toContain(`kubeseal --controller-name sealed-secrets-controller --controller-namespace sealed-secrets --scope strict --format yaml > ${secretFile('lab', 'sealed-secret')}`);

    const all = await everything(dir);
    for (const needle of [ACCESS, SECRET, 'PRIVATE KEY']) expect(all).not.toContain(needle);
    const validated = await runBin(['validate', 'platform'], { cwd });
    expect(validated.exitCode, validated.stdout).toBe(0);

    // Re-run: the certificate is read from the repository, the sealed file kept; nothing changes.
    const again = await runBin(['platform', '--yes'], { cwd });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).toContain('Nothing changed');
  });
});

describe('secrets: external-secrets', () => {
  it('references a ClusterSecretStore the user names, and lists it as something to create', async () => {
    const cwd = tempDir();
    const missing = await runBin(['platform', '--yes', '--secrets', 'external-secrets'], { cwd });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('secret-store: is missing');
    const run = await runBin(['platform', '--yes', '--secrets', 'external-secrets', '--secret-store', 'openbao'], { cwd, env: valueEnv(ACCESS, SECRET) });
    expect(run.exitCode, run.all).toBe(0);
    const dir = join(cwd, 'platform');
    const es = parse(readFileSync(join(dir, secretFile('local', 'external-secret')), 'utf8')) as { spec: { secretStoreRef: unknown; data: { remoteRef: { key: string } }[] } };
    expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'openbao' });
    expect(es.spec.data.map((d) => d.remoteRef.key)).toEqual(['platform/local/s3-credentials', 'platform/local/s3-credentials']);
    const report = await runBin(['validate', 'platform', '-o', 'json'], { cwd });
    expect(report.exitCode, report.stdout).toBe(0);
    expect((JSON.parse(report.stdout) as { mustCreate: { kind: string; name: string }[] }).mustCreate.map((m) => `${m.kind} ${m.name}`)).toEqual(['ClusterSecretStore openbao']);
    // Values given are not used (the store has them) and never written.
    expect(await everything(dir)).not.toContain(SECRET);
  });
});

describe('secrets: refused input', () => {
  it.each([
    [['--engine', 'argocd', '--git-remote', REMOTE, '--secrets', 'sops'], 'sops needs --engine flux'],
    [['--secrets', 'sealed-secrets', '--age-generate'], 'age-generate: applies to --secrets sops'],
    [['--age-recipient', 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq'], 'bad checksum'],
    [['--age-recipient', 'AGE-SECRET-KEY-1ABC'], 'is not an age recipient'],
    [['--sealed-secrets-cert', 'nowhere=cert.pem'], 'sealed-secrets-cert: applies to --secrets sealed-secrets'],
    [['--description', 'line one\nkey: injected'], 'contains control or invisible formatting characters'],
    [['--description', 'x'.repeat(201)], 'the limit is 200'],
  ])('%j', async (flags, message) => {
    const cwd = tempDir();
    const run = await runBin(['platform', '--yes', ...flags], { cwd });
    expect(run.exitCode, run.all).toBe(2);
    expect(run.stderr).toContain(message);
    expect(listFiles(cwd)).toEqual([]);
  });

  it('refuses a secret file inside the repository and a malformed one, without echoing a value', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'out'));
    writeFileSync(join(cwd, 'out', 'values.yaml'), `secrets:\n  s3-credentials:\n    S3_ACCESS_KEY_ID: ${ACCESS}\n`);
    const inside = await runBin(['out', '--yes', '--no-git', '--force', '--secret-file', 'out/values.yaml'], { cwd });
    expect(inside.exitCode).toBe(2);
    expect(inside.stderr).toContain('is inside the repository');
    expect(listFiles(join(cwd, 'out'))).toEqual(['values.yaml']);

    writeFileSync(
      join(cwd, 'bad.yaml'),
      `secrets:\n  s3-creds:\n    KEY: ${SECRET}\n  s3-credentials:\n    S3_ACCESS_KEY_ID: 12345\n    PASSWORD: ${SECRET}\nclusters:\n  nope: {}\nextra: 1\n`,
    );
    const bad = await runBin(['p2', '--yes', '--secret-file', 'bad.yaml'], { cwd });
    expect(bad.exitCode).toBe(2);
    for (const line of [
      'secrets.s3-creds: is not a Secret this platform needs (allowed: s3-credentials; or one of them as namespace/name: databases/s3-credentials)',
      'secrets.s3-credentials.S3_ACCESS_KEY_ID: must be a string (quote it in YAML)',
      'secrets.s3-credentials.PASSWORD: is not a key of s3-credentials (keys: S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY)',
      'clusters.nope: is not a cluster of this platform (clusters: local)',
      'extra: is not known (allowed: secrets, clusters)',
    ]) {
      expect(bad.stderr).toContain(line);
    }
    expect(bad.all).not.toContain(SECRET);
    expect(listFiles(cwd)).toEqual(['bad.yaml', 'out/values.yaml']);
  });

  it('refuses half a Secret: every key or none', async () => {
    const cwd = tempDir();
    const keyFile = join(cwd, 'keys.txt');
    const run = await runBin(['platform', '--yes', '--age-generate'], { cwd, env: { SOPS_AGE_KEY_FILE: keyFile, HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_ACCESS_KEY_ID: ACCESS } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('databases/s3-credentials on cluster local: S3_ACCESS_KEY_ID is given for every cluster, S3_SECRET_ACCESS_KEY is not: give every key of a Secret at one level');
    expect(listFiles(cwd)).toEqual([]);
  });
});

describe('free text', () => {
  it('emits a hostile description as one quoted YAML scalar that adds no key', async () => {
    const cwd = tempDir();
    const description = `Gemeente "Test": key: {{name}} # not a comment - [a, b] &anchor *ref !tag %x @y \`z\` | > 'quoted' ${'${HOME}'} <b>`;
    for (const engine of ['flux', 'argocd']) {
      const run = await runBin([engine, '--yes', '--engine', engine, '--git-remote', REMOTE, '--description', description], { cwd });
      expect(run.exitCode, run.all).toBe(0);
      const namespaces = listFiles(join(cwd, engine)).filter((f) => f.endsWith('/base/namespace.yaml'));
      expect(namespaces.length).toBeGreaterThan(0);
      for (const f of namespaces) {
        const ns = parse(readFileSync(join(cwd, engine, f), 'utf8')) as { metadata: Record<string, unknown> };
        expect(Object.keys(ns.metadata).sort()).toEqual(['annotations', 'labels', 'name']);
        expect(ns.metadata.annotations).toEqual({ 'haven-plus/description': description });
      }
      expect(JSON.parse(readFileSync(join(cwd, engine, '.yo-rc.json'), 'utf8'))['generator-haven-plus'].answers.description).toBe(description);
    }
    const project = parse(readFileSync(join(cwd, 'argocd', 'clusters/local/apps/project.yaml'), 'utf8')) as { spec: { description: string } };
    expect(project.spec.description.endsWith(`: ${description}`)).toBe(true);
  });
});
