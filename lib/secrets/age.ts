/**
 * age keys for SOPS: where SOPS looks for private keys, and --age-generate, which appends a new key
 * pair there in age-keygen's format. The private key never enters the repository.
 */
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { HavenPlusError } from '../errors.js';
import { isInside } from './values.js';

export interface AgeKeyPair {
  identity: string;
  recipient: string;
}

/** SOPS's own lookup: $SOPS_AGE_KEY_FILE, else <user config dir>/sops/age/keys.txt. */
export function sopsAgeKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOPS_AGE_KEY_FILE) return env.SOPS_AGE_KEY_FILE;
  const home = env.HOME || homedir();
  const config = env.XDG_CONFIG_HOME || (platform() === 'darwin' ? join(home, 'Library', 'Application Support') : join(home, '.config'));
  return join(config, 'sops', 'age', 'keys.txt');
}

export async function generateAgeKey(): Promise<AgeKeyPair> {
  // Loaded on use: most runs never need age, and start-up time matters.
  const { generateX25519Identity, identityToRecipient } = await import('age-encryption');
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/**
 * Appends a key pair to the key file (created 0600 in a 0700 directory), as age-keygen writes it:
 * `# created:`, `# public key:`, the secret key. Refuses a key file inside the repository.
 */
export function writeAgeKey(file: string, key: AgeKeyPair, repository: string, now = new Date()): void {
  if (isInside(file, repository)) {
    throw new HavenPlusError(
      `age-generate: the SOPS key file ${file} is inside the repository ${repository}; a private key must never be where git can pick it up.\n  Point SOPS_AGE_KEY_FILE outside the repository.`,
      2,
    );
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a+', 0o600);
  try {
    const size = fstatSync(fd).size;
    let separator = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last.toString() !== '\n') separator = '\n';
    }
    const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    writeSync(fd, `${separator}# created: ${stamp}\n# public key: ${key.recipient}\n${key.identity}\n`);
  } finally {
    closeSync(fd);
  }
  // An existing file keeps its owner but never stays readable by others once it holds our key.
  chmodSync(file, 0o600);
}
