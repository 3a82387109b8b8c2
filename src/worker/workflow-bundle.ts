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

/** The payload converter the workflow bundle and the worker both use (see payload-converter.ts). */
export const payloadConverterPath = require.resolve('./payload-converter.cjs');

/**
 * The workflow interceptors every bundle holds, tracing on or off (OpenTelemetry, active only in
 * runs that were started traced: see src/workflows/tracing-interceptors.ts for why). Workers,
 * prebuilt test bundles and the replay test all bundle the same list.
 */
export const workflowInterceptorModules = [require.resolve('../workflows/tracing-interceptors.ts')];
