/**
 * The controller's side of kubeseal's scheme, for round-trip tests (written from
 * bitnami-labs/sealed-secrets pkg/crypto HybridDecrypt, not from lib/secrets/sealed.ts):
 * uint16-BE n, RSA-OAEP(SHA-256, label) of the session key, AES-256-GCM with a zero nonce.
 */
import { constants, createDecipheriv, createPrivateKey, privateDecrypt, type KeyObject } from 'node:crypto';

export function unseal(privateKey: string | KeyObject, value: string, label: string): string {
  const bytes = Buffer.from(value, 'base64');
  const n = bytes.readUInt16BE(0);
  const key = privateDecrypt(
    { key: typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label) },
    bytes.subarray(2, 2 + n),
  );
  const body = bytes.subarray(2 + n);
  const gcm = createDecipheriv('aes-256-gcm', key, Buffer.alloc(12));
  gcm.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([gcm.update(body.subarray(0, body.length - 16)), gcm.final()]).toString('utf8');
}
