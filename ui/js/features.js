// The Features column, as RabbitMQ's console shows it: D (durable), AD (auto-delete), Excl (exclusive), I
// (internal), one abbreviation per well-known argument (TTL, Exp, Lim, Lim B, Ovfl, DLX, DLK, Pri, SAC,
// Lazy), Args for the others, and the policy and operator policy in effect by name. Each badge's tooltip
// says what it stands for and the value.
import { fmtJson, h } from './dom.js'

const ARGUMENTS = {
  'x-message-ttl': ['TTL', 'message TTL'],
  'x-expires': ['Exp', 'auto expire'],
  'x-max-length': ['Lim', 'max length'],
  'x-max-length-bytes': ['Lim B', 'max length bytes'],
  'x-overflow': ['Ovfl', 'overflow behaviour'],
  'x-dead-letter-exchange': ['DLX', 'dead letter exchange'],
  'x-dead-letter-routing-key': ['DLK', 'dead letter routing key'],
  'x-max-priority': ['Pri', 'maximum priority'],
  'x-single-active-consumer': ['SAC', 'single active consumer'],
  'x-queue-mode': ['Lazy', 'lazy mode'],
}
// Shown elsewhere (the Type column), not as a feature.
const HIDDEN = new Set(['x-queue-type'])

const badge = (text, title, className = '') => h('abbr', { title, class: className }, text)

export function features(o) {
  const args = o.arguments ?? {}
  const known = Object.keys(args).filter(
    (k) => k in ARGUMENTS && !(k === 'x-queue-mode' && args[k] !== 'lazy'),
  )
  const other = Object.keys(args).filter((k) => !known.includes(k) && !HIDDEN.has(k))
  const badges = [
    o.durable ? badge('D', 'durable') : null,
    o.auto_delete ? badge('AD', 'auto-delete') : null,
    o.exclusive ? badge('Excl', 'exclusive') : null,
    o.internal ? badge('I', 'internal') : null,
    ...known.map((k) => badge(ARGUMENTS[k][0], `${ARGUMENTS[k][1]} (${k}): ${fmtJson(args[k])}`)),
    other.length ? badge('Args', other.map((k) => `${k}: ${fmtJson(args[k])}`).join('\n')) : null,
    o.policy ? badge(o.policy, `policy ${o.policy}`, 'policy') : null,
    o.operator_policy
      ? badge(o.operator_policy, `operator policy ${o.operator_policy}`, 'policy operator')
      : null,
  ].filter(Boolean)
  return h('span', { class: 'features' }, badges.length ? badges : h('span', { class: 'muted' }, '–'))
}
