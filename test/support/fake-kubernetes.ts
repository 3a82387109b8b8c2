import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A STAND-IN for a Kubernetes API server, not Kubernetes: no cluster can be had offline here. It
 * serves the few endpoints the `k8s` action kind calls, checks each request as the API reference
 * documents it (path, method, Content-Type of each patch type, the `fieldManager` query parameter,
 * the bearer token, the body's shape) and answers as the API documents: Deployment, Scale, Node
 * and Pod objects, and `Status` objects for 401/404/409/415/422. A crude "controller" advances a
 * deployment's rollout one replica per read, unless the test holds it. What it cannot show (real
 * admission, real scheduling, real controllers) is what the KUBECONFIG-gated test is for.
 */
export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: unknown;
  aborted: boolean;
}

interface Deployment {
  metadata: { name: string; namespace: string; generation: number; resourceVersion: string; uid: string };
  spec: { replicas: number; template: { metadata: { annotations?: Record<string, string> } } };
  status: { observedGeneration: number; replicas: number; updatedReplicas: number; availableReplicas: number };
}

const PATCH_TYPES = [
  'application/strategic-merge-patch+json',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
];

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function merge(target: any, patch: any): any {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = { ...(target && typeof target === 'object' ? target : {}) };
  for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : merge(out[k], v);
  return out;
}

export async function startFakeKubernetes(opts: { token?: string } = {}) {
  const token = opts.token ?? `fake-token-${Math.random().toString(36).slice(2)}`;
  const requests: FakeRequest[] = [];
  const deployments = new Map<string, Deployment>();
  const nodes = new Map<string, { metadata: { name: string }; spec: { unschedulable?: boolean } }>();
  const pods = new Map<string, { metadata: { name: string; namespace: string } }>();
  /** Deployments whose rollout does not progress (a stuck rollout), or whose reads never answer. */
  const held = new Set<string>();
  let version = 1000;
  const nextVersion = () => String(++version);

  // HTTPS with its own CA, as a real API server serves it: the client refuses plain HTTP, and the
  // kubeconfig's certificate-authority-data is then exercised too.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-kube-'));
  const tls = selfSignedCertificate(dir);
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const record: FakeRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type']?.split(';')[0],
        authorization: req.headers.authorization,
        aborted: false,
      };
      try {
        record.body = raw ? JSON.parse(raw) : undefined;
      } catch {
        record.body = raw;
      }
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
      });
      const send = (code: number, body: unknown) =>
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${token}`)
        return send(401, status(401, 'Unauthorized', 'Unauthorized'));
      answer(record, send);
    });
  });

  function answer(r: FakeRequest, send: (code: number, body: unknown) => void) {
    const isPatch = r.method === 'PATCH';
    if (isPatch && !PATCH_TYPES.includes(r.contentType ?? ''))
      return send(
        415,
        status(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
        ),
      );
    if (isPatch && (!r.body || typeof r.body !== 'object'))
      return send(400, status(400, 'BadRequest', 'the request body is not a JSON object'));

    let m = r.path.match(/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)(\/scale)?$/);
    if (m) {
      const [, ns, name, scale] = m as unknown as [string, string, string, string | undefined];
      const d = deployments.get(`${ns}/${name}`);
      if (!d)
        return send(
          404,
          status(404, 'NotFound', `deployments.apps "${name}" not found`, { name, group: 'apps', kind: 'deployments' }),
        );
      if (scale) return scaleEndpoint(r, d, send);
      if (r.method === 'GET') {
        if (!held.has(`${ns}/${name}`)) progress(d);
        return send(200, deploymentObject(d));
      }
      if (isPatch) {
        // kubectl rollout restart sends a strategic merge patch; a JSON patch would be an array.
        if (
          r.contentType !== 'application/strategic-merge-patch+json' &&
          r.contentType !== 'application/merge-patch+json'
        )
          return send(415, status(415, 'UnsupportedMediaType', `unexpected patch type ${r.contentType} for this test`));
        const before = JSON.stringify(d.spec);
        d.spec = merge(d.spec, (r.body as any).spec ?? {});
        if (JSON.stringify(d.spec) !== before) {
          d.metadata.generation++;
          d.status.updatedReplicas = 0;
        }
        d.metadata.resourceVersion = nextVersion();
        return send(200, deploymentObject(d));
      }
    }
    m = r.path.match(/^\/api\/v1\/nodes\/([^/]+)$/);
    if (m && isPatch) {
      const node = nodes.get(m[1]!);
      if (!node) return send(404, status(404, 'NotFound', `nodes "${m[1]}" not found`, { name: m[1], kind: 'nodes' }));
      const unschedulable = (r.body as any).spec?.unschedulable;
      if (unschedulable !== undefined && typeof unschedulable !== 'boolean')
        return send(422, status(422, 'Invalid', `Node "${m[1]}" is invalid: spec.unschedulable: Invalid value`));
      node.spec = merge(node.spec, (r.body as any).spec ?? {});
      return send(200, { apiVersion: 'v1', kind: 'Node', ...node });
    }
    m = r.path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/);
    if (m && r.method === 'DELETE') {
      const key = `${m[1]}/${m[2]}`;
      const pod = pods.get(key);
      if (!pod) return send(404, status(404, 'NotFound', `pods "${m[2]}" not found`, { name: m[2], kind: 'pods' }));
      pods.delete(key);
      // The API answers a delete with the object as it is being deleted.
      return send(200, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString() },
      });
    }
    send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }

  function scaleEndpoint(r: FakeRequest, d: Deployment, send: (code: number, body: unknown) => void) {
    const scaleObject = () => ({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: d.metadata.name, namespace: d.metadata.namespace, resourceVersion: d.metadata.resourceVersion },
      spec: { replicas: d.spec.replicas },
      status: { replicas: d.status.replicas, selector: `app=${d.metadata.name}` },
    });
    if (r.method === 'GET') return send(200, scaleObject());
    if (r.method !== 'PATCH') return send(405, status(405, 'MethodNotAllowed', 'method not allowed'));
    const body = r.body as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
    const rv = body.metadata?.resourceVersion;
    if (rv !== undefined && rv !== d.metadata.resourceVersion)
      return send(
        409,
        status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on deployments.apps "${d.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        ),
      );
    const replicas = body.spec?.replicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || (replicas as number) < 0))
      return send(
        422,
        status(422, 'Invalid', `Scale.autoscaling "${d.metadata.name}" is invalid: spec.replicas: Invalid value`),
      );
    if (replicas !== undefined && replicas !== d.spec.replicas) {
      d.spec.replicas = replicas as number;
      d.metadata.generation++;
    }
    d.metadata.resourceVersion = nextVersion();
    return send(200, scaleObject());
  }

  /** One step of a deployment controller: see the generation, then one replica more updated, then available. */
  function progress(d: Deployment) {
    const s = d.status;
    if (s.observedGeneration < d.metadata.generation) {
      s.observedGeneration = d.metadata.generation;
      return;
    }
    const want = d.spec.replicas;
    if (s.updatedReplicas < want) s.updatedReplicas++;
    else if (s.updatedReplicas > want) s.updatedReplicas = want;
    s.replicas = want;
    s.availableReplicas = Math.min(s.updatedReplicas, want);
  }

  function deploymentObject(d: Deployment) {
    return { apiVersion: 'apps/v1', kind: 'Deployment', ...structuredClone(d) };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    kubeconfigPath,
    `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "${url}", certificate-authority-data: "${tls.cert.toString('base64')}" } }]
users: [{ name: interlock, user: { token: "${token}" } }]
contexts: [{ name: fake, context: { cluster: fake, user: interlock } }]
current-context: fake
`,
  );

  return {
    url,
    token,
    kubeconfigPath,
    requests,
    addDeployment(namespace: string, name: string, replicas: number) {
      deployments.set(`${namespace}/${name}`, {
        metadata: { name, namespace, generation: 1, resourceVersion: nextVersion(), uid: `uid-${name}` },
        spec: { replicas, template: { metadata: {} } },
        status: { observedGeneration: 1, replicas, updatedReplicas: replicas, availableReplicas: replicas },
      });
    },
    deployment: (namespace: string, name: string) => deployments.get(`${namespace}/${name}`),
    addNode: (name: string) => nodes.set(name, { metadata: { name }, spec: {} }),
    node: (name: string) => nodes.get(name),
    addPod: (namespace: string, name: string) => pods.set(`${namespace}/${name}`, { metadata: { name, namespace } }),
    pod: (namespace: string, name: string) => pods.get(`${namespace}/${name}`),
    /** The rollout of this deployment stops progressing until released. */
    hold: (namespace: string, name: string) => held.add(`${namespace}/${name}`),
    release: (namespace: string, name: string) => held.delete(`${namespace}/${name}`),
    to: (method: string, p: string) => requests.filter((r) => r.method === method && r.path === p),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
/** A certificate for 127.0.0.1 that is its own CA (openssl, as the machine has it). */
function selfSignedCertificate(dir: string): { key: Buffer; cert: Buffer } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=fake-kubernetes',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

export type FakeKubernetes = Awaited<ReturnType<typeof startFakeKubernetes>>;
