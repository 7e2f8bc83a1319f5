/**
 * A registry mirror for Docker Hub (--registry-mirror): every image and OCI chart the platform would pull
 * anonymously from docker.io comes through the mirror instead (a Harbor proxy cache, a registry of the
 * provider's), so scale-outs do not stall on Docker Hub's anonymous pull limits. Which values move a
 * chart's images comes from its chart facts (templates/chart-facts: registry, repository and global
 * registry keys per image, read from the chart's templates); image strings in values and manifests are
 * rewritten where they stand.
 */
import type { Release } from './catalog.js';
import type { ChartFacts } from './chart-facts.js';
import { get, mergePatch } from './validate/build.js';

/** Docker Hub's names for itself in image references and OCI chart URLs. */
const DOCKER_HUB_HOSTS = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** Whether a registry host is Docker Hub's. */
export const isDockerHub = (registry: string) => DOCKER_HUB_HOSTS.includes(registry);

/** Whether an OCI chart URL is on Docker Hub (`oci://registry-1.docker.io/envoyproxy/gateway-helm`). */
export const isDockerHubChart = (url: string) => url.startsWith('oci://') && isDockerHub(url.slice('oci://'.length).split('/')[0]);

/**
 * The registry a chart pulls one of its images from at these values, from the keys its facts name: the
 * chart's global registry when set, else the image's registry key, else the host of a repository or image
 * value that names one, else Docker Hub (where the facts' image lives).
 */
export function chartImageRegistry(image: ChartFacts['images'][number], values: Record<string, unknown>): string {
  const keys = image.values;
  const valueAt = (key: string | undefined) => (key ? get(values, key) : undefined);
  const global = valueAt(keys.globalRegistry);
  const registry = valueAt(keys.registry);
  const named = [valueAt(keys.repository), valueAt(keys.image)].find((v): v is string => typeof v === 'string' && dockerHubPath(v) === undefined);
  if (typeof global === 'string' && global !== '') return global;
  if (typeof registry === 'string') return registry;
  return named?.split('/')[0] ?? 'docker.io';
}

/** The repository path of a Docker Hub image (official images under library/), or undefined for another registry. */
export function dockerHubPath(image: string): string | undefined {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  // A first segment with a dot or a colon (or localhost) is a registry host; without one, the image is on Docker Hub.
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  if (hasHost && !DOCKER_HUB_HOSTS.includes(first)) return undefined;
  const path = hasHost ? image.slice(slash + 1) : image;
  return path.includes('/') ? path : `library/${path}`;
}

/** An image reference through the mirror (`docker.io/grafana/loki:3.7.6` → `<mirror>/grafana/loki:3.7.6`); others unchanged. */
export function mirrorImage(image: string, mirror: string | undefined): string {
  if (!mirror) return image;
  const path = dockerHubPath(image);
  return path === undefined ? image : `${mirror}/${path}`;
}

/** An OCI chart URL through the mirror (`oci://registry-1.docker.io/envoyproxy/gateway-helm`). */
export function mirrorChartUrl(url: string, mirror: string | undefined): string {
  return mirror && isDockerHubChart(url) ? `oci://${mirror}/${url.replace(/^oci:\/\/[^/]+\//, '')}` : url;
}

/** Image references the values name (strings that look like `docker.io/x/y[:tag]`), rewritten through the mirror. */
export function mirrorValueStrings(value: unknown, mirror: string | undefined): unknown {
  if (!mirror) return value;
  if (typeof value === 'string') return /^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\/[^\s]+$/.test(value) ? mirrorImage(value, mirror) : value;
  if (Array.isArray(value)) return value.map((v) => mirrorValueStrings(v, mirror));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mirrorValueStrings(v, mirror)]));
  return value;
}

const at = (path: string, value: unknown): Record<string, unknown> => path.split('.').reduceRight<unknown>((v, k) => ({ [k]: v }), value) as Record<string, unknown>;

/**
 * The values that send a chart's Docker Hub images through the mirror, from its facts. Where the chart
 * splits registry and repository: the registry key, and the repository as a path (library/ for official
 * images), which reads right whichever of the image's own or the chart's global registry wins. Where it
 * has only a repository: the mirror's whole path, unless the chart has a global registry and pulls nothing
 * but Docker Hub images, then that alone (gateway-helm cuts the first segment off a repository when its
 * global registry is set: charts/gateway-helm/templates/_helpers.tpl "eg.image" at v1.9.0). Images the
 * values already take from another registry are left alone. `unmirrored`: Docker Hub images no value moves.
 */
export function mirrorChartValues(release: Release, mirror: string): { values: Record<string, unknown>; unmirrored: string[] } {
  let values: Record<string, unknown> = {};
  const unmirrored: string[] = [];
  const images = release.facts?.images ?? [];
  const allDockerHub = images.every((i) => dockerHubPath(i.repository) !== undefined);
  const set = (key: string, value: string) => (values = mergePatch(values, at(key, value)) as Record<string, unknown>);
  for (const image of images) {
    const keys = image.values;
    const path = dockerHubPath(image.repository);
    if (path === undefined) continue;
    // The catalog already takes it from elsewhere (sealed-secrets from ghcr.io, say).
    if (!isDockerHub(chartImageRegistry(image, release.values))) continue;
    const repository = keys.repository ? get(release.values, keys.repository) : undefined;
    const repositoryPath = typeof repository === 'string' ? (dockerHubPath(repository) ?? path) : path;
    const global = keys.globalRegistry && allDockerHub ? keys.globalRegistry : undefined;
    if (global) set(global, mirror);
    if (keys.registry) {
      set(keys.registry, mirror);
      if (keys.repository) set(keys.repository, repositoryPath);
    } else if (keys.repository && !global) {
      set(keys.repository, `${mirror}/${repositoryPath}`);
    } else if (!global) {
      unmirrored.push(image.repository);
    }
  }
  return { values, unmirrored };
}

/** A release whose Docker Hub images and OCI chart come through the mirror. */
export function mirrorRelease(release: Release, mirror: string | undefined): Release {
  if (!mirror) return release;
  const { values } = mirrorChartValues(release, mirror);
  return {
    ...release,
    source: { ...release.source, url: mirrorChartUrl(release.source.url, mirror) },
    values: mirrorValueStrings(mergePatch(release.values, values), mirror) as Record<string, unknown>,
    images: release.images.map((i) => mirrorImage(i, mirror)),
  };
}
