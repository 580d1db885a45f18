/**
 * The fields of the SDK's resolved S3 client config that tell where its
 * requests go. Optional: a caller's stub may have none of them.
 */
export interface EndpointConfig {
  isCustomEndpoint?: boolean
  ignoreConfiguredEndpointUrls?: boolean
  serviceConfiguredEndpoint?: () => Promise<string | undefined>
}

/**
 * Whether a client sends to AWS's own S3 endpoints: no `endpoint` in its
 * config (`isCustomEndpoint` false) and none configured around it
 * (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, a config file's
 * `endpoint_url`), which the SDK follows without marking the client custom
 * (checked, SDK 3.1169). `ignoreConfiguredEndpointUrls` is honoured as the
 * SDK does. A config without these fields (a caller's stub) is not AWS's:
 * what depends on this answer (no whole-body MD5, an unsigned payload) is
 * safe only where the store is known to be S3.
 *
 * @example
 * ```ts
 * if (await onAwsEndpoint(client.config)) console.log('AWS S3')
 * ```
 */
export async function onAwsEndpoint (config: EndpointConfig | undefined): Promise<boolean> {
  if (config?.isCustomEndpoint !== false) return false
  if (config.ignoreConfiguredEndpointUrls === true || config.serviceConfiguredEndpoint === undefined) return true
  return await config.serviceConfiguredEndpoint() === undefined
}
