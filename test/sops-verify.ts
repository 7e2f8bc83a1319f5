/**
 * An independent check of SOPS files for the tests, written from getsops/sops DecryptTree (not from
 * lib/secrets/sops.ts): opens the data key with the age identity, decrypts every ENC[] value with its
 * path as additional data, recomputes the SHA-512 MAC over all leaves and compares it with the
 * file's MAC (decrypted with lastmodified as additional data). sops-age, which the tests also use,
 * decrypts values but does not check the MAC.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { armor, Decrypter } from 'age-encryption';
import { isMap, isScalar, isSeq, parseDocument, Scalar } from 'yaml';

function gcmDecrypt(value: string, key: Buffer, aad: string): string {
  const m = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$/.exec(value);
  if (!m) throw new Error(`not a SOPS value: ${value.slice(0, 20)}`);
  if (m[4] !== 'str') throw new Error(`unexpected type ${m[4]}`);
  const iv = Buffer.from(m[2], 'base64');
  if (iv.length !== 32) throw new Error(`IV is ${iv.length} bytes; sops uses 32`);
  const d = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(Buffer.from(m[3], 'base64'));
  return Buffer.concat([d.update(Buffer.from(m[1], 'base64')), d.final()]).toString('utf8');
}

function walk(node: unknown, path: string[], leaf: (s: Scalar, path: string[]) => void): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (isScalar(pair.value)) leaf(pair.value, [...path, key]);
      else walk(pair.value, [...path, key], leaf);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) (isScalar(item) ? leaf(item, path) : walk(item, path, leaf));
  }
}

export interface SopsCheck {
  plain: Record<string, unknown>;
  macOk: boolean;
  dataKey: Buffer;
}

export async function decryptAndVerify(text: string, identity: string): Promise<SopsCheck> {
  const doc = parseDocument(text, { uniqueKeys: true });
  const meta = doc.toJS().sops as { age: { recipient: string; enc: string }[]; lastmodified: string; mac: string; encrypted_regex: string };
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  let dataKey: Buffer | undefined;
  for (const a of meta.age) {
    try {
      dataKey = Buffer.from(await decrypter.decrypt(armor.decode(a.enc)));
      break;
    } catch {
      // not this recipient
    }
  }
  if (!dataKey) throw new Error('no age stanza opens with this identity');
  doc.delete('sops');
  const regex = new RegExp(meta.encrypted_regex);
  const hash = createHash('sha512');
  walk(doc.contents, [], (scalar, path) => {
    if (scalar.value === null || scalar.value === undefined) return;
    const raw = String(scalar.value);
    if (path.some((p) => regex.test(p)) && raw !== '') {
      scalar.value = gcmDecrypt(raw, dataKey, `${path.join(':')}:`);
    }
    hash.update(String(scalar.value), 'utf8');
  });
  const lastmodified = new Date(meta.lastmodified).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const mac = gcmDecrypt(meta.mac, dataKey, lastmodified);
  return { plain: doc.toJS() as Record<string, unknown>, macOk: mac === hash.digest('hex').toUpperCase(), dataKey };
}
