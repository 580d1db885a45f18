import type { KeyTemplate } from '../key-template.js'
import type { BatchOptions } from '../sinks/batch-options.js'
import { checkBatched } from './batch-config.js'
import type { Issues } from './config-issues.js'
import { normalizePrefix } from './object-key.js'
import { resolveKeyTemplate } from './template-key.js'
import { typeName, validateFunction, validateKnownKeys, validateString } from './validate.js'

/** A checked route of a sink config. */
export interface RouteSettings {
  name: string
  /** `undefined`: every Run (the last route only). */
  when: ((run: unknown) => boolean) | undefined
  /** Normalized, relative to the sink's prefix. */
  prefix: string
  template: KeyTemplate | undefined
  /** `null`: one object per Run. */
  batched: BatchOptions | null
}

const ROUTE_FIELDS = ['name', 'when', 'prefix', 'keyTemplate', 'timeZone', 'batched']

/**
 * The `routes` field of a sink config, every problem an issue at its path
 * (`routes[1].batched.level`). `undefined` when absent or unusable.
 */
export function checkRoutes (issues: Issues, value: unknown): RouteSettings[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0) {
    issues.add('routes', Array.isArray(value) ? 'invalid' : 'type', `must be a non-empty array of routes, got ${Array.isArray(value) ? 'an empty array' : typeName(value)}`)
    return undefined
  }
  const names = new Set<string>()
  const routes = value.map((item: unknown, i) => checkRoute(issues, item, `routes[${i}]`, i === value.length - 1, names))
  return routes.every((route) => route !== undefined) ? routes as RouteSettings[] : undefined
}

function checkRoute (issues: Issues, value: unknown, at: string, last: boolean, names: Set<string>): RouteSettings | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.add(at, 'type', `must be an object ({ name, when, prefix, keyTemplate, batched }), got ${typeName(value)}`)
    return undefined
  }
  const route = value as Record<string, unknown>
  const before = issues.list.length
  for (const key of Object.keys(route)) {
    issues.check(route[key], () => { validateKnownKeys({ [key]: true }, `config.${at}`, ROUTE_FIELDS, 'field') }, () => 'unknown')
  }
  const name = issues.check(route.name, () => validateString(route.name, `config.${at}.name`))
  if (route.name === undefined) issues.add(`${at}.name`, 'missing', 'is required: it names the route in errors')
  else if (name !== undefined && names.has(name)) issues.add(`${at}.name`, 'invalid', `repeats "${name}"`)
  if (name !== undefined) names.add(name)
  const when = issues.check(route.when, () => validateFunction<(run: unknown) => boolean>(route.when, `config.${at}.when`), () => 'type')
  if (route.when === undefined && !last) issues.add(`${at}.when`, 'missing', 'is required but on the last route: a route without when takes every Run, so the routes after it would get none')
  const prefix = issues.check(route.prefix, () => normalizePrefix(route.prefix, `config.${at}.prefix`))
  const template = issues.check(route.keyTemplate, () => resolveKeyTemplate(route.keyTemplate, `config.${at}.keyTemplate`, route.timeZone, `config.${at}.timeZone`))
  const batched = checkBatched(issues, route.batched, `${at}.batched`)
  // One uploader serves every route, and a manifest is per window of that uploader: it would mix the routes' objects.
  if (batched?.manifests !== undefined && batched.manifests !== false) issues.add(`${at}.batched.manifests`, 'invalid', 'is not available on a route: the routes share one uploader, whose manifests would mix their objects')
  if (issues.list.length > before) return undefined
  return { name: name as string, when, prefix: prefix ?? '', template, batched }
}
