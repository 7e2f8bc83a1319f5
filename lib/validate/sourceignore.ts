/**
 * What source-controller leaves out of a GitRepository's artifact, so kustomize-controller never sees it
 * (fluxcd/pkg sourceignore/sourceignore.go, sourceignore/gitignore/{pattern,matcher}.go and
 * artifact/storage/archive.go, at the versions Flux 2.9 pins):
 * - the `.sourceignore` files of the repository, each applying below its own directory (its domain), read
 *   root first and then directory by directory in name order (LoadIgnorePatterns);
 * - with no pattern in any of them, the defaults instead: VCS files, images and archives, CI configuration
 *   (`.github/`, `.gitlab-ci.yml`, …) and `.goreleaser.yml`, `.sops.yaml`, `.flux.yaml`. A repository
 *   with a `.sourceignore` of its own gets the VCS defaults only (SourceIgnoreFilter).
 * The matching is go-git's, which Flux copies, not git's: each file is matched on its own by the last
 * pattern that matches its path or a directory above it, and the archive walk descends into excluded
 * directories, so `!dir/keep.yaml` brings a file back below an excluded `dir/`.
 * A GitRepository's `spec.ignore` adds patterns too; it is not read here (validate notes it).
 */
import type { FileSet } from '../fileset.js';
import { goPathMatch } from './globs.js';

const IGNORE_FILE = '.sourceignore';
const EXCLUDE_VCS = ['.git/', '.gitignore', '.gitmodules', '.gitattributes'];
const EXCLUDE_DEFAULT = [
  '*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip',
  '.github/', '.circleci/', '.travis.yml', '.gitlab-ci.yml', 'appveyor.yml', '.drone.yml', 'cloudbuild.yaml', 'codeship-services.yml', 'codeship-steps.yml',
  '**/.goreleaser.yml', '**/.sops.yaml', '**/.flux.yaml',
];

/** Whether a path of the repository is left out of its artifact, and which .sourceignore files said so. */
export interface SourceIgnore {
  ignored(path: string): boolean;
  files: string[];
  /** Patterns left out beyond MAX_IGNORE_PATTERNS (a merge request's, not a real repository's). */
  dropped: number;
}

/** No repository holds this many; each file is matched against every pattern, so more would be a denial of service. */
export const MAX_IGNORE_PATTERNS = 1000;

/** A gitignore pattern as go-git parses it (gitignore.ParsePattern). */
export interface IgnorePattern {
  domain: string[];
  inclusion: boolean;
  dirOnly: boolean;
  /** Has a slash: matched component by component from the domain (else by name at any depth). */
  isGlob: boolean;
  parts: string[];
}

/** A line of a .sourceignore in the directory `domain` (ReadPatterns: comments and blank lines are none). */
export function parsePattern(line: string, domain: string[]): IgnorePattern | undefined {
  if (line.startsWith('#') || line.trim() === '') return undefined;
  let p = line;
  const inclusion = p.startsWith('!');
  if (inclusion) p = p.slice(1);
  if (!p.endsWith('\\ ')) p = p.replace(/ +$/, '');
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.slice(0, -1);
  return { domain, inclusion, dirOnly, isGlob: p.includes('/'), parts: p.split('/') };
}

/** go-git's pattern.Match: 'include', 'exclude', or undefined where the pattern says nothing about the path. */
export function matchPattern(p: IgnorePattern, path: string[], isDir: boolean): 'include' | 'exclude' | undefined {
  if (path.length <= p.domain.length || p.domain.some((d, i) => path[i] !== d)) return undefined;
  const rest = path.slice(p.domain.length);
  if (!(p.isGlob ? globMatch(p, rest, isDir) : simpleNameMatch(p, rest, isDir))) return undefined;
  return p.inclusion ? 'include' : 'exclude';
}

/** filepath.Match of one component; a name longer than any directory entry matches nothing (bounded time). */
const component = (pattern: string, name: string) => pattern.length <= 1024 && goPathMatch(pattern, name);

function simpleNameMatch(p: IgnorePattern, path: string[], isDir: boolean): boolean {
  for (const [i, name] of path.entries()) {
    if (!component(p.parts[0], name)) continue;
    return !(p.dirOnly && !isDir && i === path.length - 1);
  }
  return false;
}

/** globMatch as go-git writes it: `**` takes the first later component that matches, never backtracks. */
function globMatch(p: IgnorePattern, path: string[], isDir: boolean): boolean {
  let rest = path;
  let matched = false;
  let canTraverse = false;
  for (const [i, part] of p.parts.entries()) {
    if (part === '') {
      canTraverse = false;
      continue;
    }
    if (part === '**') {
      if (i === p.parts.length - 1) break;
      canTraverse = true;
      continue;
    }
    if (part.includes('**')) return false;
    if (rest.length === 0) return false;
    if (canTraverse) {
      canTraverse = false;
      while (rest.length > 0) {
        const e = rest[0];
        rest = rest.slice(1);
        if (component(part, e)) {
          matched = true;
          break;
        } else if (rest.length === 0) {
          matched = false;
        }
      }
    } else {
      if (!component(part, rest[0])) return false;
      matched = true;
      rest = rest.slice(1);
    }
  }
  return matched && p.dirOnly && !isDir && rest.length === 0 ? false : matched;
}

/** .sourceignore files in the order LoadIgnorePatterns reads them: a directory's own first, then its subdirectories by name. */
const walkOrder = (a: string, b: string) => {
  const x = a.split('/').slice(0, -1);
  const y = b.split('/').slice(0, -1);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
};

export function sourceIgnore(files: FileSet, paths = files.paths()): SourceIgnore {
  const ignoreFiles = paths.filter((p) => p === IGNORE_FILE || p.endsWith(`/${IGNORE_FILE}`)).sort(walkOrder);
  const patterns = ignoreFiles.flatMap((file) => {
    const domain = file === IGNORE_FILE ? [] : file.slice(0, -IGNORE_FILE.length - 1).split('/');
    return files.get(file)!.split(/\r?\n/).flatMap((line) => parsePattern(line, domain) ?? []);
  });
  const kept = patterns.slice(0, MAX_IGNORE_PATTERNS);
  const all = [...[...EXCLUDE_VCS, ...(patterns.length > 0 ? [] : EXCLUDE_DEFAULT)].map((line) => parsePattern(line, [])!), ...kept];
  // The matcher: the last pattern that says anything about the file decides (gitignore.matcher.Match).
  // Once per path: every build below a directory asks again.
  const answers = new Map<string, boolean>();
  const ignored = (path: string) => {
    let answer = answers.get(path);
    if (answer !== undefined) return answer;
    answer = false;
    const parts = path.split('/');
    for (let i = all.length - 1; i >= 0; i--) {
      const result = matchPattern(all[i], parts, false);
      if (result) {
        answer = result === 'exclude';
        break;
      }
    }
    answers.set(path, answer);
    return answer;
  };
  return { ignored, files: ignoreFiles, dropped: patterns.length - kept.length };
}
