/** "Did you mean …?" for a misspelt value: the nearest of the allowed ones, where it is near enough. */
import leven from 'leven';

/**
 * The candidate nearest `value` (edit distance at most a third of its length, at least 1), else the one
 * candidate it begins (`argo` → argocd, `ovh` → ovhcloud), or undefined.
 */
export function nearest(value: string, candidates: readonly string[], prefixes = true): string | undefined {
  const near = nearestByDistance(value, candidates);
  if (near !== undefined || !prefixes || value.length < 2) return near;
  const extended = candidates.filter((c) => c.toLowerCase().startsWith(value.toLowerCase()));
  return extended.length === 1 ? extended[0] : undefined;
}

function nearestByDistance(value: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(value.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = leven(value.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** `; did you mean "flux"?` or the empty string. */
export function didYouMean(value: string, candidates: readonly string[]): string {
  const match = nearest(value, candidates);
  return match === undefined || match === value ? '' : `; did you mean ${JSON.stringify(match)}?`;
}
