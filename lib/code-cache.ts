/**
 * A V8 code cache for the package's generated code (the prebuilt validators, validate/precompiled.ts).
 *
 * Compiling a validator's code, and the functions in it that V8 compiles lazily when they first run, was
 * a fifth of a one-cluster `haven-plus validate` (about 100 ms of 550). V8 can serialise what it compiled
 * (`vm.Script#createCachedData`) and start from that the next time (`cachedData`), as Node's own
 * compile cache does for modules (`module.enableCompileCache`, Node 22.1 and later only, so not used here).
 *
 * Where: `<tmpdir>/haven-plus-code-cache-<uid>` (Node's compile cache lives in the temporary directory
 * too), or $HAVEN_PLUS_CODE_CACHE; `HAVEN_PLUS_CODE_CACHE=off` turns it off. It is never inside the
 * repository being generated or validated, and holds only code compiled from the package's own files,
 * never from a repository's. A directory that is not this user's alone (another user could plant code
 * in it) is not used. A cache entry is found by the code's exact text and the Node version, platform
 * and architecture; V8 also refuses data made by another V8 or other flags (`cachedDataRejected`), and
 * then the code is compiled as without a cache and the entry rewritten. Entries are written when the
 * process exits (by then it holds the functions that ran), each to a temporary name and renamed, so a
 * concurrent run never reads half an entry. Any failure to read or write the cache is silent: the cost
 * is only the compilation the cache would have saved.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

const uid = () => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** The cache directory for this environment, or undefined when the cache is off. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.HAVEN_PLUS_CODE_CACHE;
  if (setting === 'off' || setting === '0' || setting === 'false') return undefined;
  return setting || join(tmpdir(), `haven-plus-code-cache-${uid() ?? 'user'}`);
}

/** The directory, made if missing, when it is a directory this user owns that no one else may write to. */
function ownDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = lstatSync(dir);
    const me = uid();
    return s.isDirectory() && (me === undefined || s.uid === me) && (me === undefined || (s.mode & 0o022) === 0);
  } catch {
    return false;
  }
}

interface Pending {
  script: Script;
  file: string;
}
const pending: Pending[] = [];
let dirChecked: string | undefined;
let dirUsable = false;
let exitHook = false;

function usable(dir: string): boolean {
  if (dirChecked !== dir) {
    dirChecked = dir;
    dirUsable = ownDirectory(dir);
  }
  return dirUsable;
}

const digest = (data: Uint8Array) => createHash('sha256').update(data).digest();

/**
 * An entry's data when its checksum holds. V8 (Node 20's at least) does not check the data it is given
 * beyond its header: a damaged entry crashes the process (SIGSEGV), so each entry starts with the SHA-256
 * of the data after it, and one that does not match is not used (and is rewritten).
 */
function readEntry(file: string): Buffer | 'missing' | 'damaged' {
  let entry: Buffer;
  try {
    entry = readFileSync(file);
  } catch {
    return 'missing';
  }
  const data = entry.subarray(32);
  return entry.length > 32 && digest(data).equals(entry.subarray(0, 32)) ? data : 'damaged';
}

/** What the cache did in this process: entries used, code compiled without one, entries damaged or refused by V8. */
export const codeCacheStats = { hits: 0, misses: 0, rejected: 0 };

/** Writes the entries of the code compiled so far without one (done when the process exits). */
export function flushCodeCache(): void {
  for (const { script, file } of pending.splice(0)) {
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      const data = script.createCachedData();
      writeFileSync(temporary, Buffer.concat([digest(data), data]), { mode: 0o600 });
      renameSync(temporary, file);
    } catch {
      rmSync(temporary, { force: true });
    }
  }
}

/**
 * The function whose body is `body` and whose parameters are `parameters` (as `new Function(...parameters,
 * body)` makes it), compiled from the code cache when it holds it. `name` is the file name V8 gives it in
 * stack traces.
 */
export function compileFunction(name: string, parameters: string[], body: string, dir = codeCacheDir()): (...args: unknown[]) => unknown {
  // The same shape `new Function` compiles: the body on lines of its own, so a `//` comment in it ends.
  const source = `(function (${parameters.join(', ')}) {\n${body}\n})`;
  if (!dir || !usable(dir)) return new Script(source, { filename: name }).runInThisContext() as (...args: unknown[]) => unknown;
  const key = createHash('sha256').update(`${process.version}\0${process.platform}\0${process.arch}\0`).update(source).digest('hex').slice(0, 40);
  const file = join(dir, `${key}.v8`);
  const entry = readEntry(file);
  const script = new Script(source, { filename: name, cachedData: typeof entry === 'string' ? undefined : entry });
  if (typeof entry === 'string' || script.cachedDataRejected) {
    if (entry === 'missing') codeCacheStats.misses++;
    else codeCacheStats.rejected++;
    if (!exitHook) process.once('exit', flushCodeCache);
    exitHook = true;
    if (!pending.some((p) => p.file === file)) pending.push({ script, file });
  } else {
    codeCacheStats.hits++;
  }
  return script.runInThisContext() as (...args: unknown[]) => unknown;
}
