/**
 * The manifests of a sink, as `manifests: { ... }` (`manifests: true` is
 * `{}`): a manifest per window and partition once its objects are complete.
 * The CLI's `--manifest-template` is `keyTemplate` and its `--time-zone`
 * dates the manifests' keys as it dates the objects'.
 *
 * @example
 * ```ts
 * const manifests: ManifestOptions = { keyTemplate: '{prefix}_manifests/dt={YYYY}-{MM}-{DD}/{HH}{mm}-{id}.json', timeZone: 'Europe/Berlin' }
 * await pipeline(source, minuteWindow(), gzip(), s3Writable({ ...cfg, keyTemplate: '{prefix}dt={YYYY}-{MM}-{DD}/{id}{ext}', timeZone: 'Europe/Berlin', manifests }))
 * ```
 */
export interface ManifestOptions {
  /**
   * The manifests' keys, a key template (see `keyTemplate()`) dated by the
   * window's start; it may use the partition's record fields and needs no
   * `{id}`, but with a `timeZone` that has daylight saving it must have one
   * (the hour the clocks go back would otherwise name two windows alike).
   * Default `{prefix}_manifests/{YYYY}/{MM}/{DD}/{HH}/{YYYY}-{MM}-{DD}-{HH}-{mm}-{ss}-{id}.json`.
   */
  keyTemplate?: string
  /**
   * IANA time zone of `keyTemplate`'s date parts. Default `UTC`, whatever
   * the sink's own `timeZone` (which dates the objects' keys): give both to
   * date both alike, as the CLI's `--time-zone` does.
   */
  timeZone?: string
}
