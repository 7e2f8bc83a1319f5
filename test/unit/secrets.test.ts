/**
 * The secrets building blocks on their own: recipients, certificates, key files, environment names
 * and the secret file rules. The end-to-end proof (real age, SOPS decryption, unsealing) is in
 * test/e2e/secrets.test.ts.
 */
import { execa } from 'execa';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HavenPlusError } from '../../lib/errors.js';
import { checkAgeRecipient, checkDescription } from '../../lib/names.js';
import { generateAgeKey, sopsAgeKeyFile, writeAgeKey } from '../../lib/secrets/age.js';
import { readCertificate, sealSecret } from '../../lib/secrets/sealed.js';
import { unseal } from '../unseal.js';
import { secretEnvName } from '../../lib/secrets/specs.js';
import { isInside } from '../../lib/secrets/values.js';
import { tempDir } from '../helpers.js';

describe('secrets building blocks', () => {
  it('accepts generated age recipients and refuses a wrong checksum, a PQ or an identity', async () => {
    const { recipient, identity } = await generateAgeKey();
    expect(checkAgeRecipient(recipient)).toBeUndefined();
    const flipped = recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q');
    expect(checkAgeRecipient(flipped)).toMatch(/bad checksum/);
    expect(checkAgeRecipient(identity)).toMatch(/is not an age recipient/);
    expect(checkAgeRecipient(`${recipient}x`)).toMatch(/is not an age recipient/);
  });

  it('refuses descriptions with control or bidi characters, accepts any printable text', () => {
    expect(checkDescription('Gemeente Ångström: "platform" #1 {{x}} — 🚀 Ελληνικά')).toBeUndefined();
    for (const bad of ['a\nb', 'a\tb', 'a\u202Eb', 'a\u200Bb', ' lead']) expect(checkDescription(bad), JSON.stringify(bad)).toBeDefined();
  });

  it('reads a controller certificate as kubeseal does: RSA only, not expired', async () => {
    const dir = tempDir();
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sealed-secret', '-keyout', 'rsa.key', '-out', 'rsa.pem'], { cwd: dir });
    await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=ec', '-keyout', 'ec.key', '-out', 'ec.pem'], { cwd: dir });
    const pem = readFileSync(join(dir, 'rsa.pem'), 'utf8');
    const cert = readCertificate(`# fetched with kubeseal\n${pem}`);
    expect(cert.pem).toBe(pem);
    expect(() => readCertificate(pem, new Date(Date.now() + 3 * 86_400_000))).toThrow(/expired on .*kubeseal --fetch-cert/);
    expect(() => readCertificate(readFileSync(join(dir, 'ec.pem'), 'utf8'))).toThrow(/holds a ec key; the Sealed Secrets controller uses RSA/);
    expect(() => readCertificate(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/is not a PEM X.509 certificate/);
  });

  it('appends generated keys to the SOPS key file, 0600, never inside the repository', async () => {
    const dir = tempDir();
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const file = join(dir, 'sops', 'keys.txt');
    mkdirSync(join(dir, 'sops'));
    writeFileSync(file, '# an existing key\nAGE-SECRET-KEY-1EXISTING', { mode: 0o644 });
    const key = await generateAgeKey();
    writeAgeKey(file, key, repo, new Date('2026-11-23T10:00:00.500Z'));
    expect(readFileSync(file, 'utf8')).toBe(`# an existing key\nAGE-SECRET-KEY-1EXISTING\n# created: 2026-11-23T10:00:00Z\n# public key: ${key.recipient}\n${key.identity}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => writeAgeKey(join(repo, 'keys', 'keys.txt'), key, repo)).toThrow(HavenPlusError);
    expect(sopsAgeKeyFile({ SOPS_AGE_KEY_FILE: '/k/keys.txt' })).toBe('/k/keys.txt');
    expect(sopsAgeKeyFile({ XDG_CONFIG_HOME: '/cfg', HOME: '/home/u' })).toBe('/cfg/sops/age/keys.txt');
  });

  it('tells inside from outside with symlinks and look-alike prefixes', () => {
    expect(isInside('/a/repo/x.yaml', '/a/repo')).toBe(true);
    expect(isInside('/a/repo', '/a/repo')).toBe(true);
    expect(isInside('/a/repo-keys/x', '/a/repo')).toBe(false);
    expect(isInside('/a/repo/../x', '/a/repo')).toBe(false);
  });

  it('names environment variables per Secret key, optionally per cluster', () => {
    expect(secretEnvName('s3-credentials', 'S3_ACCESS_KEY_ID')).toBe('HAVEN_PLUS_SECRET_S3_CREDENTIALS__S3_ACCESS_KEY_ID');
    expect(secretEnvName('s3-credentials', 'S3_ACCESS_KEY_ID', 'prod-eu')).toBe('HAVEN_PLUS_SECRET_PROD_EU__S3_CREDENTIALS__S3_ACCESS_KEY_ID');
  });

  it('seals with the chosen scope: the label and the annotations the controller reads', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = { key: publicKey, validTo: new Date(), fingerprint: '', pem: '' };
    const data = { S3_ACCESS_KEY_ID: 'GKid' };
    const strict = sealSecret(cert, { name: 's3', namespace: 'db', data }) as { metadata: Record<string, unknown>; spec: { encryptedData: Record<string, string> } };
    expect(strict.metadata).toEqual({ name: 's3', namespace: 'db' });
    expect(unseal(privateKey, strict.spec.encryptedData.S3_ACCESS_KEY_ID, 'db/s3')).toBe('GKid');
    for (const [scope, label] of [['namespace-wide', 'db'], ['cluster-wide', '']] as const) {
      const sealed = sealSecret(cert, { name: 's3', namespace: 'db', data }, scope) as { metadata: { annotations: Record<string, string> }; spec: { encryptedData: Record<string, string>; template: { metadata: unknown } } };
      expect(sealed.metadata.annotations).toEqual({ [`sealedsecrets.bitnami.com/${scope}`]: 'true' });
      expect(sealed.spec.template.metadata).toEqual(sealed.metadata);
      expect(sealed.spec.template.metadata).not.toBe(sealed.metadata);
      expect(unseal(privateKey, sealed.spec.encryptedData.S3_ACCESS_KEY_ID, label)).toBe('GKid');
      expect(() => unseal(privateKey, sealed.spec.encryptedData.S3_ACCESS_KEY_ID, 'db/s3')).toThrow();
    }
  });
});
