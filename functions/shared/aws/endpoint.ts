/**
 * Where the SDK would send a service's requests: the service's own `AWS_ENDPOINT_URL_<SERVICE>`,
 * else `AWS_ENDPOINT_URL` (both unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else the
 * regional endpoint (`.amazonaws.com.cn` in the China regions) followed by `path`.
 */
export function serviceEndpoint(
  service: string,
  variable: string,
  region: string,
  env: NodeJS.ProcessEnv,
  path = '',
): string {
  const ignoreConfigured = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true';
  const configured = ignoreConfigured ? undefined : env[variable] || env.AWS_ENDPOINT_URL;
  if (configured) return configured;
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${service}.${region}.${suffix}${path}`;
}
