import fs from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Where the worker's Kubernetes credentials come from: a kubeconfig file (KUBECONFIG), or, inside
 * a pod, its service account. Read once, when the first `k8s` step runs, so a worker that never
 * runs one needs neither. The kubeconfig holds credentials: it is never logged, and a problem
 * with it is reported by its path only.
 */
export function kubernetesConfig(env: {
  KUBECONFIG?: string;
  KUBERNETES_SERVICE_HOST?: string;
}): (() => KubeConfig) | undefined {
  const file = env.KUBECONFIG;
  const inCluster = !file && env.KUBERNETES_SERVICE_HOST && fs.existsSync(SERVICE_ACCOUNT_TOKEN);
  if (!file && !inCluster) return undefined;
  let loaded: KubeConfig | undefined;
  return () => {
    if (loaded) return loaded;
    const config = new KubeConfig();
    if (file) {
      try {
        config.loadFromFile(file);
      } catch (err) {
        // The library's message may quote the file; say only which file and what kind of problem.
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(`KUBECONFIG ${file}: ${code === 'ENOENT' ? 'no such file' : 'not a readable kubeconfig'}`);
      }
      if (!config.getCurrentCluster()) throw new Error(`KUBECONFIG ${file}: its current context names no cluster`);
    } else config.loadFromCluster();
    loaded = config;
    return config;
  };
}
