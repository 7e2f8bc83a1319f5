/**
 * SOPS encryption of a Kubernetes object, age recipients only, written as sops (getsops/sops 3.10)
 * writes YAML, so `sops decrypt`, `sops edit` and Flux's kustomize-controller open it:
 * - a random 32-byte data key; each value under a key matching encrypted_regex becomes
 *   ENC[AES256_GCM,data:…,iv:…,tag:…,type:str] with a random 32-byte IV and the path of map keys
 *   joined by ':' plus ':' as additional data;
 * - the MAC is SHA-512 over every non-null leaf in document order (encrypted or not), upper-case
 *   hex, encrypted like a value with the RFC 3339 lastmodified time as additional data;
 * - the data key is age-encrypted (ASCII armor) to every recipient.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Document, isMap, isScalar, isSeq, Scalar, type Node } from 'yaml';
import { ENCRYPTED_REGEX } from './sops-config.js';

export const SOPS_FORMAT_VERSION = '3.10.2';

const b64 = (b: Buffer) => b.toString('base64');

/** sops aes/cipher.go Encrypt. Empty strings stay empty, as sops leaves them. */
function encryptValue(plain: string, key: Buffer, additionalData: string): string {
  if (plain === '') return '';
  const iv = randomBytes(32);
  const gcm = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([gcm.update(plain, 'utf8'), gcm.final()]);
  return `ENC[AES256_GCM,data:${b64(data)},iv:${b64(iv)},tag:${b64(gcm.getAuthTag())},type:str]`;
}

/** Go's time.RFC3339 in UTC: seconds, no fraction, "Z". */
export const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Depth-first over map values in document order; the path holds map keys only (sops walkBranch/walkSlice). */
function walk(node: unknown, path: string[], leaf: (scalar: Scalar, path: string[]) => Scalar | undefined): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (isScalar(pair.value)) pair.value = leaf(pair.value, [...path, key]) ?? pair.value;
      else walk(pair.value, [...path, key], leaf);
    }
  } else if (isSeq(node)) {
    node.items = node.items.map((item) => (isScalar(item) ? (leaf(item, path) ?? item) : (walk(item, path, leaf), item))) as typeof node.items;
  }
}

/**
 * Encrypts an object whose leaves are all strings (a Secret: stringData, names, kinds). Other
 * scalar types are refused: sops would type them as Go's YAML parser does, and a Secret's
 * values must stay strings anyway.
 */
export async function encryptSops(object: Record<string, unknown>, recipients: string[], now: Date): Promise<string> {
  if (recipients.length === 0) throw new Error('encryptSops: no age recipient');
  const { armor, Encrypter } = await import('age-encryption');
  const regex = new RegExp(ENCRYPTED_REGEX);
  const dataKey = randomBytes(32);
  const hash = createHash('sha512');
  const doc = new Document(object, { version: '1.1' });
  walk(doc.contents, [], (scalar, path) => {
    if (scalar.value === null || scalar.value === undefined) return undefined;
    if (typeof scalar.value !== 'string') throw new Error(`encryptSops: ${path.join('.')} is not a string`);
    hash.update(scalar.value, 'utf8');
    return path.some((p) => regex.test(p)) ? new Scalar(encryptValue(scalar.value, dataKey, `${path.join(':')}:`)) : undefined;
  });
  const lastmodified = rfc3339(now);
  const mac = encryptValue(hash.digest('hex').toUpperCase(), dataKey, lastmodified);
  const age: { recipient: string; enc: string }[] = [];
  for (const recipient of recipients) {
    const encrypter = new Encrypter();
    encrypter.addRecipient(recipient);
    age.push({ recipient, enc: armor.encode(await encrypter.encrypt(dataKey)) });
  }
  const meta = doc.createNode({ age, lastmodified, mac, encrypted_regex: ENCRYPTED_REGEX, version: SOPS_FORMAT_VERSION });
  (meta.get('lastmodified', true) as Scalar).type = Scalar.QUOTE_DOUBLE;
  for (const entry of (meta.get('age') as { items: { get(k: string, keep: true): Node }[] }).items) (entry.get('enc', true) as Scalar).type = Scalar.BLOCK_LITERAL;
  doc.set('sops', meta);
  return doc.toString({ indent: 4, indentSeq: true, lineWidth: 0 });
}
