/**
 * Schema locations as URL templates: schemas are fetched once (here from a server on loopback),
 * cached, and found in the cache when the server is gone. Directories and templates mix in order.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, schemaFile } from '../../lib/validate/schemas.js';
import { ROOT, tempDir } from '../helpers.js';
import { HAS_SHARED, needsShared } from '../shared.js';

const SHARED = (process.env.HAVEN_PLUS_SCHEMA_LOCATION ?? join(ROOT, '..', 'shared', 'schemas')).split(/[,;]/)[0]; // the shared set comes first
let server: Server;
let base = '';
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = join(SHARED, decodeURIComponent((req.url ?? '').replace(/^\/catalog\//, '')));
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}/catalog`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('schema locations', () => {
  it.skipIf(!HAS_SHARED)(needsShared('downloads a schema once through a URL template and then works from the cache'), async () => {
    const cache = tempDir('schema-cache-');
    const template = `${base}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`;
    const cluster = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' };
    const first = new SchemaRegistry([template], cache);
    expect(first.get(cluster.apiVersion, cluster.kind)).toBeUndefined(); // nothing fetched yet
    expect(await first.prefetch([cluster])).toEqual([]);
    const hit = first.get(cluster.apiVersion, cluster.kind)!;
    expect(hit.source).toBe(`${base}/postgresql.cnpg.io/cluster_v1.json`);
    expect(hit.validate({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db' }, spec: { instances: 1, storage: { size: '1Gi' } } })).toBe(true);
    expect(hit.validate({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db' }, spec: { instancez: 1 } })).toBe(false);
    const fetched = requests.length;

    await new Promise<void>((resolve) => server.close(() => resolve()));
    const second = new SchemaRegistry([template], cache);
    expect(await second.prefetch([cluster])).toEqual([]);
    expect(second.get(cluster.apiVersion, cluster.kind)?.source).toBe(hit.source);
    expect(requests.length).toBe(fetched);
    server.listen(0, '127.0.0.1');
  });

  it.skipIf(!HAS_SHARED)(needsShared('reports a download failure and falls through to the next location'), async () => {
    const cache = tempDir('schema-cache-');
    const registry = new SchemaRegistry(['http://127.0.0.1:9/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json', SHARED], cache);
    const notes = await registry.prefetch([{ apiVersion: 'v1', kind: 'Namespace' }]);
    expect(notes).toEqual([]); // the directory has it: nothing to download
    expect(registry.get('v1', 'Namespace')?.source).toBe(join(SHARED, 'core/namespace_v1.json'));
    const missing = await registry.prefetch([{ apiVersion: 'example.nl/v1', kind: 'Widget' }]);
    expect(missing[0]).toMatch(/could not download http:\/\/127.0.0.1:9\/example.nl\/widget_v1.json/);
    expect(registry.get('example.nl/v1', 'Widget')).toBeUndefined();
  });

  it('maps apiVersion and kind to the flux-schema layout', () => {
    expect(schemaFile('v1', 'Namespace')).toBe('core/namespace_v1.json');
    expect(schemaFile('helm.toolkit.fluxcd.io/v2', 'HelmRelease')).toBe('helm.toolkit.fluxcd.io/helmrelease_v2.json');
  });
});
