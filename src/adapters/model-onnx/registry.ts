import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FraudError } from '../../core/errors/index.ts';

/**
 * Resolving `models:/name@alias` (or `models:/name/version`) against the MLflow registry,
 * without Python in the serving process:
 * - local store (default `sqlite:///<root>/ml/mlflow.db`, the trainer's default): two reads
 *   of MLflow's own tables (`registered_model_aliases`, `model_versions`) with node:sqlite;
 *   the version's `storage_location` is a local directory;
 * - tracking server (`MLFLOW_TRACKING_URI=http(s)://…`): the REST API resolves the alias,
 *   and the version's files are downloaded (`/model-versions/get-artifact`) into a cache
 *   directory keyed by name and version (immutable, so downloaded once).
 */

export interface ResolvedModel {
  readonly name: string;
  readonly alias?: string;
  /** Registry version number, e.g. `3`. */
  readonly version: string;
  /** Local directory holding model.onnx (+ model.json, explain.json, maybe under extra_files/). */
  readonly dir: string;
  readonly trackingUri: string;
}

export interface RegistryOptions {
  readonly root: string;
  /** Where server-downloaded versions are cached. Default `<root>/.data/model-cache`. */
  readonly cacheDir?: string;
  readonly trackingUri?: string;
}

const SPEC = /^models:\/([^/@]+)(?:@([A-Za-z0-9_-]+)|\/(\d+))$/;

export function isRegistrySpec(spec: string): boolean {
  return spec.startsWith('models:/');
}

export function parseRegistrySpec(spec: string): { name: string; alias?: string; version?: string } {
  const m = SPEC.exec(spec);
  if (!m)
    throw new FraudError(
      'FRAUD_CONFIG_INVALID',
      `model spec '${spec}' must be models:/NAME@ALIAS or models:/NAME/VERSION`,
    );
  return m[2] ? { name: m[1]!, alias: m[2] } : { name: m[1]!, version: m[3]! };
}

export function trackingUri(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env['MLFLOW_TRACKING_URI']?.trim() || `sqlite:///${join(root, 'ml', 'mlflow.db')}`;
}

function unavailable(message: string): FraudError {
  return new FraudError('FRAUD_MODEL_UNAVAILABLE', message);
}

export async function resolveRegistrySpec(spec: string, options: RegistryOptions): Promise<ResolvedModel> {
  const { name, alias, version } = parseRegistrySpec(spec);
  const uri = options.trackingUri ?? trackingUri(options.root);
  if (uri.startsWith('sqlite:///')) return resolveSqlite(uri, name, alias, version, options.root);
  if (uri.startsWith('http://') || uri.startsWith('https://')) {
    return resolveServer(
      uri,
      name,
      alias,
      version,
      options.cacheDir ?? join(options.root, '.data', 'model-cache'),
    );
  }
  throw unavailable(
    `MLFLOW_TRACKING_URI '${uri}' is not supported for serving (use sqlite:///… or http(s)://…)`,
  );
}

async function resolveSqlite(
  uri: string,
  name: string,
  alias: string | undefined,
  version: string | undefined,
  root: string,
): Promise<ResolvedModel> {
  let path = uri.slice('sqlite:///'.length);
  if (!isAbsolute(path)) path = resolve(root, path);
  if (!existsSync(path)) {
    throw unavailable(
      `MLflow store ${path} does not exist: train and register a model first (bin/fraud train)`,
    );
  }
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    let v = version;
    if (alias) {
      const row = db
        .prepare('SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?')
        .get(name, alias) as { version: number } | undefined;
      if (!row) throw unavailable(`registered model '${name}' has no alias '${alias}' in ${path}`);
      v = String(row.version);
    }
    const mv = db
      .prepare('SELECT storage_location, source FROM model_versions WHERE name = ? AND version = ?')
      .get(name, Number(v)) as { storage_location: string | null; source: string | null } | undefined;
    if (!mv) throw unavailable(`registered model '${name}' has no version ${v} in ${path}`);
    const location = mv.storage_location ?? mv.source ?? '';
    const dir = location.startsWith('file://') ? fileURLToPath(location) : location;
    if (!existsSync(join(dir, 'model.onnx')))
      throw unavailable(`model version ${name}/${v}: no model.onnx at ${dir}`);
    return { name, ...(alias ? { alias } : {}), version: v!, dir, trackingUri: uri };
  } finally {
    db.close();
  }
}

async function getJson(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw unavailable(`MLflow server unreachable (${url}): ${(err as Error).message}`);
  }
  if (!res.ok)
    throw unavailable(`MLflow server answered ${res.status} for ${url}: ${(await res.text()).slice(0, 200)}`);
  return res.json();
}

async function resolveServer(
  base: string,
  name: string,
  alias: string | undefined,
  version: string | undefined,
  cacheDir: string,
): Promise<ResolvedModel> {
  const root = base.replace(/\/+$/, '');
  let v = version;
  if (alias) {
    const body = (await getJson(
      `${root}/api/2.0/mlflow/registered-models/alias?name=${encodeURIComponent(name)}&alias=${encodeURIComponent(alias)}`,
    )) as { model_version?: { version?: string } };
    v = body.model_version?.version;
    if (!v) throw unavailable(`registered model '${name}' has no alias '${alias}' on ${root}`);
  }
  const dir = join(cacheDir, encodeURIComponent(name), String(v));
  if (!existsSync(join(dir, 'model.onnx'))) {
    // Download into a temporary directory, then rename: a half-downloaded version is never served.
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true });
    const files: [string, string][] = [
      ['model.onnx', 'model.onnx'],
      ['extra_files/model.json', 'model.json'],
      ['extra_files/explain.json', 'explain.json'],
    ];
    for (const [remote, local] of files) {
      const url = `${root}/model-versions/get-artifact?path=${encodeURIComponent(remote)}&name=${encodeURIComponent(name)}&version=${v}`;
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      } catch (err) {
        throw unavailable(`MLflow server unreachable (${url}): ${(err as Error).message}`);
      }
      if (!res.ok) throw unavailable(`cannot download ${remote} of ${name}/${v}: HTTP ${res.status}`);
      await writeFile(join(tmp, local), Buffer.from(await res.arrayBuffer()));
    }
    await mkdir(join(dir, '..'), { recursive: true });
    if (!existsSync(join(dir, 'model.onnx'))) await rename(tmp, dir);
  }
  return { name, ...(alias ? { alias } : {}), version: v!, dir, trackingUri: root };
}
