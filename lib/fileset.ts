/** The generated repository in memory: path (POSIX, relative) → text. */
export class FileSet {
  private readonly files = new Map<string, string>();

  add(path: string, content: string): void {
    if (path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '.' || p === '')) {
      throw new Error(`FileSet: refusing unsafe path ${JSON.stringify(path)}`);
    }
    if (this.files.has(path) && this.files.get(path) !== content) {
      throw new Error(`FileSet: ${path} rendered twice with different content`);
    }
    this.files.set(path, content);
  }

  /** Rewrites a file already rendered (a pass over the whole set, e.g. escaping). */
  replace(path: string, content: string): void {
    if (!this.files.has(path)) throw new Error(`FileSet: ${path} was never rendered`);
    this.files.set(path, content);
  }

  get(path: string): string | undefined {
    return this.files.get(path);
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** Paths in byte order, so output and listings are deterministic. */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  entries(): [string, string][] {
    return this.paths().map((p) => [p, this.files.get(p)!]);
  }

  get size(): number {
    return this.files.size;
  }
}
