/**
 * A secret scan over every file: private keys, cloud and forge tokens, `password:`-style keys with
 * literal values, and Secrets with plaintext data. Encrypted values (SOPS `ENC[...]`) and references
 * (a Secret name and key) pass. A platform repository must never hold a credential in the clear.
 */
import type { FileSet } from '../fileset.js';
import { objectKey, objectsOf } from './build.js';
import { error, type Finding } from './findings.js';

const TOKENS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/AGE-SECRET-KEY-1[0-9A-Z]{58}/, 'an age private key'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key ID'],
  [/\bglpat-[0-9A-Za-z_-]{20,}\b/, 'a GitLab personal access token'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
];
/** Keys that hold a credential when given a literal (adminPassword, secretAccessKey, apiToken, …). */
const SECRET_KEYS = /^\s*-?\s*["']?([A-Za-z0-9_]*?(?:password|passwd|secretKey|secret_key|secretAccessKey|secret_access_key|accessKeySecret|token|apiKey|api_key|clientSecret|client_secret))["']?\s*:\s*(.+?)\s*$/i;
/** Values that are no credential: empty, block starts, booleans, numbers, encrypted, templated. */
const PLACEHOLDER = /^(""|''|~|null|true|false|\d+|\{\}|\[\]|[|>][-+]?|ENC\[.*\]|\$\{.*\}|<.*>)$/i;

export function scanForSecrets(files: FileSet): Finding[] {
  const findings: Finding[] = [];
  for (const [file, text] of files.entries()) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      for (const [pattern, what] of TOKENS) if (pattern.test(line)) findings.push(error('secrets', file, `line ${i + 1} holds ${what}`));
      const m = /\.ya?ml$/.test(file) ? SECRET_KEYS.exec(line) : null;
      if (m && !PLACEHOLDER.test(m[2]) && !m[2].startsWith('#')) findings.push(error('secrets', file, `line ${i + 1}: ${m[1]} has a literal value; reference a Secret instead`));
    });
    if (!/\.ya?ml$/.test(file)) continue;
    for (const o of objectsOf(text)) {
      if (o.kind !== 'Secret' || 'sops' in o) continue;
      const data = { ...((o.data as Record<string, unknown>) ?? {}), ...((o.stringData as Record<string, unknown>) ?? {}) };
      const plain = Object.entries(data).filter(([, v]) => typeof v === 'string' && v.length > 0 && !/^ENC\[/.test(v));
      if (plain.length > 0) findings.push(error('secrets', file, `Secret holds plaintext values (${plain.map(([k]) => k).join(', ')}): encrypt it (SOPS) or seal it`, { object: objectKey(o) }));
    }
  }
  return findings;
}
