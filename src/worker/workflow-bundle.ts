import { createRequire } from 'node:module';
import type { BundleOptions } from '@temporalio/worker';

type WebpackConfigHook = NonNullable<BundleOptions['webpackConfigHook']>;

const require = createRequire(import.meta.url);

/** The workflow entry point, as TypeScript source: the bundler compiles it (no build step). */
export const workflowsPath = require.resolve('../workflows/index.ts');

/**
 * Our sources import siblings as `./x.js` (Node ESM style) while the files are `.ts`;
 * webpack needs to be told that `.js` may mean `.ts`.
 */
export const webpackConfigHook: WebpackConfigHook = (config) => ({
  ...config,
  resolve: { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } },
});
export const bundlerOptions = { webpackConfigHook };

/**
 * The workflow side of tracing (a span per run, signal, update and scheduled activity, their
 * context carried in activity headers). Bundled into the workflow code, so only when tracing is
 * on: a prebuilt bundle must be built with it (bundleWorkflowCode's workflowInterceptorModules).
 */
export const tracingWorkflowModules = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];
