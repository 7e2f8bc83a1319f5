/**
 * Offline sealing, the scheme of kubeseal (bitnami-labs/sealed-secrets pkg/crypto HybridEncrypt):
 * per value a random 32-byte AES key; RSA-OAEP(SHA-256) of that key with the scope label;
 * AES-256-GCM of the value under a zero 12-byte nonce (each key is used once); the output is
 * uint16-BE length of the RSA ciphertext ‖ RSA ciphertext ‖ GCM ciphertext ‖ tag, base64 (std).
 */
import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';

import type { SealingScope } from '../answers.js';
export type { SealingScope };

/** The annotation that tells the controller which label a value was sealed with (none: strict). */
const SCOPE_ANNOTATIONS: Record<SealingScope, Record<string, string>> = {
  strict: {},
  'namespace-wide': { 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
  'cluster-wide': { 'sealedsecrets.bitnami.com/cluster-wide': 'true' },
};

export const SEALED_SECRETS_CONTROLLER = { name: 'sealed-secrets-controller', namespace: 'sealed-secrets' } as const;

/** Where a cluster's controller certificate is kept in the repository (public; kubeseal --cert reads it). */
export const sealedSecretsCertPath = (cluster: string) => `clusters/${cluster}/sealed-secrets.pem`;

/** The OAEP label binding a sealed value to where it may be opened (strict: this namespace and name). */
export function encryptionLabel(namespace: string, name: string, scope: SealingScope = 'strict'): Buffer {
  if (scope === 'cluster-wide') return Buffer.alloc(0);
  return Buffer.from(scope === 'namespace-wide' ? namespace : `${namespace}/${name}`, 'utf8');
}

export class CertificateError extends Error {
  override name = 'CertificateError';
}

export interface SealingCertificate {
  key: KeyObject;
  validTo: Date;
  fingerprint: string;
  pem: string;
}

/** Reads the controller's certificate with kubeseal's checks: an RSA public key, not expired. */
export function readCertificate(pem: string, now = new Date()): SealingCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (error) {
    throw new CertificateError(`is not a PEM X.509 certificate (${(error as Error).message})`);
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') throw new CertificateError(`holds a ${cert.publicKey.asymmetricKeyType} key; the Sealed Secrets controller uses RSA`);
  const validTo = new Date(cert.validTo);
  if (validTo.getTime() < now.getTime()) throw new CertificateError(`expired on ${validTo.toISOString()}; fetch the current one with kubeseal --fetch-cert`);
  // Keep only the certificate block: whatever else the file held (comments, a chain) is not ours to copy.
  return { key: cert.publicKey, validTo, fingerprint: cert.fingerprint256, pem: cert.toString() };
}

export function hybridEncrypt(key: KeyObject, plaintext: Buffer, label: Buffer): Buffer {
  const sessionKey = randomBytes(32);
  const rsa = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label }, sessionKey);
  const gcm = createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  const body = Buffer.concat([gcm.update(plaintext), gcm.final(), gcm.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  return Buffer.concat([length, rsa, body]);
}

/** A SealedSecret as kubeseal writes it; the scope annotation (if any) on it and on its template. */
export function sealSecret(
  cert: SealingCertificate,
  secret: { name: string; namespace: string; data: Record<string, string>; labels?: Record<string, string> },
  scope: SealingScope = 'strict',
): Record<string, unknown> {
  const label = encryptionLabel(secret.namespace, secret.name, scope);
  const annotations = SCOPE_ANNOTATIONS[scope];
  const metadata = { name: secret.name, namespace: secret.namespace, ...(secret.labels ? { labels: secret.labels } : {}), ...(scope === 'strict' ? {} : { annotations }) };
  const encryptedData: Record<string, string> = {};
  for (const key of Object.keys(secret.data).sort()) {
    encryptedData[key] = hybridEncrypt(cert.key, Buffer.from(secret.data[key], 'utf8'), label).toString('base64');
  }
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata,
    // A copy: a shared object would be written as a YAML anchor and alias.
    spec: { encryptedData, template: { metadata: structuredClone(metadata), type: 'Opaque' } },
  };
}
