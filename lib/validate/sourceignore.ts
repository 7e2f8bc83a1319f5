/**
 * What source-controller leaves out of a GitRepository's artifact, so kustomize-controller never sees it
 * (fluxcd/pkg sourceignore/sourceignore.go and artifact/storage/archive.go, at the versions Flux 2.9 pins):
 * - the `.sourceignore` files of the repository, each applying below its own directory, read root first and
 *   then directory by directory in name order (LoadIgnorePatterns), gitignore patterns where the last match
 *   wins;
 * - with no pattern in any of them, the defaults instead: VCS files, images and archives, CI configuration
 *   (`.github/`, `.gitlab-ci.yml`, …) and `.goreleaser.yml`, `.sops.yaml`, `.flux.yaml`. A repository
 *   with a `.sourceignore` of its own gets the VCS defaults only (SourceIgnoreFilter).
 * A GitRepository's `spec.ignore` adds patterns too; it is not read here (validate notes it). The matching
 * is git's (the `ignore` package): unlike go-git, a file below an excluded directory cannot be included
 * again by a later `!` pattern.
 */
import ignore from 'ignore';
import type { FileSet } from '../fileset.js';

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
}

/** .sourceignore files in the order LoadIgnorePatterns reads them: a directory's own first, then its subdirectories by name. */
const walkOrder = (a: string, b: string) => {
  const x = a.split('/').slice(0, -1);
  const y = b.split('/').slice(0, -1);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
};

/**
 * A pattern of the .sourceignore in `dir`, written for the repository root: a pattern without a slash
 * matches at any depth below its directory, one with a slash is anchored there (go-git's gitignore
 * domains, which source-controller uses).
 */
export function rootPattern(line: string, dir: string): string | undefined {
  if (line.startsWith('#') || line.trim() === '') return undefined;
  let p = line.endsWith('\\ ') ? line : line.replace(/ +$/, '');
  const negated = p.startsWith('!');
  if (negated) p = p.slice(1);
  if (dir === '') return `${negated ? '!' : ''}${p}`;
  const dirOnly = p.endsWith('/');
  const body = dirOnly ? p.slice(0, -1) : p;
  const anchored = body.includes('/');
  return `${negated ? '!' : ''}${dir}/${anchored ? body.replace(/^\//, '') : `**/${body}`}${dirOnly ? '/' : ''}`;
}

/**
 * A pattern the `ignore` package matches in bounded time: repeated `**\/` segments mean one (git's
 * wildmatch), and a pattern of more than 16 wildcards or 1 024 characters (no real one; a merge request's
 * would make the package's regular expression backtrack for minutes) matches nothing.
 */
function bounded(pattern: string | undefined): string | undefined {
  if (pattern === undefined) return undefined;
  const collapsed = pattern.replace(/(?:\*\*\/){2,}/g, '**/');
  return collapsed.length > 1024 || (collapsed.match(/[*?[]/g)?.length ?? 0) > 16 ? undefined : collapsed;
}

export function sourceIgnore(files: FileSet, paths = files.paths()): SourceIgnore {
  const ignoreFiles = paths.filter((p) => p === IGNORE_FILE || p.endsWith(`/${IGNORE_FILE}`)).sort(walkOrder);
  const patterns = ignoreFiles.flatMap((file) => {
    const dir = file === IGNORE_FILE ? '' : file.slice(0, -IGNORE_FILE.length - 1);
    return files.get(file)!.split(/\r?\n/).flatMap((line) => bounded(rootPattern(line, dir)) ?? []);
  });
  // Case matters, as in go-git's matcher (filepath.Match).
  const matcher = ignore({ ignorecase: false }).add([...EXCLUDE_VCS, ...(patterns.length > 0 ? patterns : EXCLUDE_DEFAULT)]);
  return { ignored: (path) => matcher.ignores(path), files: ignoreFiles };
}
