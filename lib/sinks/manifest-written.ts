import type { Manifest } from '../internal/manifest-tracker.js'

/**
 * What the `'manifest'` event of `s3Writable({ manifests })` carries once a manifest is stored.
 *
 * @example
 * ```ts
 * sink.on('manifest', ({ key, manifest }: ManifestWritten) => console.log(key, manifest.objects.length))
 * ```
 */
export interface ManifestWritten {
  bucket: string
  key: string
  manifest: Manifest
}
