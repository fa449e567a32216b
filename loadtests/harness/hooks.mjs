// Module hooks for run.mjs: the k6 modules resolve to the stand-ins in ./shim, and the scripts' .js files load
// as ES modules (k6 reads them as such; node would otherwise assume CommonJS).
const SHIMS = new Map([
  ['k6', 'k6.mjs'],
  ['k6/http', 'http.mjs'],
  ['k6/metrics', 'metrics.mjs'],
  ['k6/execution', 'execution.mjs'],
  ['k6/data', 'data.mjs'],
]);

export async function resolve(specifier, context, next) {
  const shim = SHIMS.get(specifier);
  if (shim) return { url: new URL(`./shim/${shim}`, import.meta.url).href, shortCircuit: true };
  if (/^(https?:|k6\/)/.test(specifier)) throw new Error(`${specifier}: not a module these scripts may import`);
  const resolved = await next(specifier, context);
  return resolved.url.startsWith('file:') && resolved.url.endsWith('.js') ? { ...resolved, format: 'module' } : resolved;
}
