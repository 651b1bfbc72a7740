// Pushes an image to a registry over the distribution API with Node's fetch: blobs (skipped when
// the registry has them), then the manifest under its tag. Basic auth, and token auth as
// registries answer 401 with `WWW-Authenticate: Bearer realm=...`. HTTPS unless plain HTTP is asked
// for (a local registry).
import type { Layout } from './layout.ts';

export interface Reference {
  registry: string;
  repository: string;
  tag: string;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

// `host[:port]/path[:tag]`: the registry must be named (no Docker Hub default).
export function parseReference(text: string): Reference {
  const slash = text.indexOf('/');
  const host = slash > 0 ? text.slice(0, slash) : '';
  if (!host || !(host.includes('.') || host.includes(':') || host === 'localhost')) {
    throw new RegistryError(`${text} names no registry: give it as HOST[:PORT]/REPOSITORY[:TAG], for example registry.example.com/wasmts/hello:v1`);
  }
  const rest = text.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  const [repository, tag] = colon > 0 ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, 'latest'];
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repository) || !/^[\w][\w.-]{0,127}$/.test(tag)) {
    throw new RegistryError(`${text} is not a valid image reference: repositories are lower-case paths, tags up to 128 of [A-Za-z0-9_.-]`);
  }
  return { registry: host, repository, tag };
}

export interface PushOptions {
  plainHttp: boolean;
  username?: string;
  password?: string;
}

function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  const match = header ? /^(\w+)\s*(.*)$/.exec(header) : null;
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, value] of match[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[key!] = value!;
  return { scheme: match[1]!.toLowerCase(), params };
}

export async function pushImage(reference: Reference, layout: Layout, options: PushOptions): Promise<string> {
  const base = `${options.plainHttp ? 'http' : 'https'}://${reference.registry}/v2/${reference.repository}`;
  const basic = options.username !== undefined ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
  let authorization: string | undefined;
  const call = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const send = () => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(authorization ? { authorization } : {}) } }).catch((error: Error) => {
      throw new RegistryError(`cannot reach ${reference.registry}: ${(error.cause as Error | undefined)?.message ?? error.message}${options.plainHttp ? '' : ' (a local registry without TLS needs --plain-http)'}`);
    });
    const response = await send();
    if (response.status !== 401 || authorization) return response;
    const asked = challenge(response.headers.get('www-authenticate'));
    if (asked?.scheme === 'basic') {
      if (!basic) throw new RegistryError(`${reference.registry} asks for a user name and password: pass --username and set WASMTS_REGISTRY_PASSWORD`);
      authorization = basic;
    } else if (asked?.scheme === 'bearer' && asked.params.realm) {
      const tokenUrl = new URL(asked.params.realm);
      if (asked.params.service) tokenUrl.searchParams.set('service', asked.params.service);
      tokenUrl.searchParams.set('scope', asked.params.scope ?? `repository:${reference.repository}:pull,push`);
      const token = await fetch(tokenUrl, { headers: basic ? { authorization: basic } : {} });
      if (!token.ok) throw new RegistryError(`${tokenUrl.origin} refused a push token (${token.status}): check --username and WASMTS_REGISTRY_PASSWORD`);
      const body = (await token.json()) as { token?: string; access_token?: string };
      authorization = `Bearer ${body.token ?? body.access_token}`;
    } else return response;
    return send();
  };
  const check = async (response: Response, what: string) => {
    if (response.ok) return response;
    throw new RegistryError(`${reference.registry} refused ${what}: ${response.status} ${(await response.text()).slice(0, 300)}`);
  };
  const top = layout.blobs.get(layout.top.digest)!;
  const manifest = JSON.parse(new TextDecoder().decode(top)) as { config?: { digest: string }; layers?: { digest: string }[] };
  for (const digest of [...(manifest.layers ?? []).map((l) => l.digest), ...(manifest.config ? [manifest.config.digest] : [])]) {
    if ((await call(`${base}/blobs/${digest}`, { method: 'HEAD' })).ok) continue;
    const started = await check(await call(`${base}/blobs/uploads/`, { method: 'POST' }), 'an upload');
    const location = new URL(started.headers.get('location') ?? '', `${base}/`);
    location.searchParams.set('digest', digest);
    await check(await call(location.href, { method: 'PUT', body: Buffer.from(layout.blobs.get(digest)!), headers: { 'content-type': 'application/octet-stream' } }), `blob ${digest}`);
  }
  await check(await call(`${base}/manifests/${reference.tag}`, { method: 'PUT', body: Buffer.from(top), headers: { 'content-type': layout.top.mediaType } }), 'the manifest');
  return `${reference.registry}/${reference.repository}:${reference.tag}`;
}
