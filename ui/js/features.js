// The Features column, as RabbitMQ 3.10's console shows it: D (durable), AD (auto-delete), I (internal)
// and Excl (exclusive), then one abbreviation per argument RabbitMQ knows, always in RabbitMQ's order (not
// the order the arguments were declared in), Args for every other argument (x-queue-mode and
// x-queue-type included, as RabbitMQ does), and last the policy and operator policy in effect by name.
// Operators compare the two consoles side by side, so the letters and their order are RabbitMQ's; each
// badge's tooltip says what it stands for and the value.
import { fmtJson, h, link } from './dom.js'

const FLAGS = [
  ['durable', 'D', 'durable'],
  ['auto_delete', 'AD', 'auto-delete'],
  ['internal', 'I', 'internal'],
]

const ARGUMENTS = [
  ['alternate-exchange', 'AE', 'alternate exchange'],
  ['x-message-ttl', 'TTL', 'message TTL'],
  ['x-expires', 'Exp', 'auto expire'],
  ['x-max-length', 'Lim', 'max length'],
  ['x-max-length-bytes', 'Lim B', 'max length bytes'],
  ['x-delivery-limit', 'DlL', 'delivery limit'],
  ['x-delayed-retry-min', 'Retry', 'delayed retry with backoff'],
  ['x-delayed-type', 'Dly', 'delayed messages, routed as this type when due'],
  ['x-message-deduplication', 'Dedup', 'deduplicated by x-deduplication-header'],
  ['x-cache-size', 'Dedup', 'deduplication cache size'],
  ['x-overflow', 'Ovfl', 'overflow behaviour'],
  ['x-dead-letter-exchange', 'DLX', 'dead letter exchange'],
  ['x-dead-letter-routing-key', 'DLK', 'dead letter routing key'],
  ['x-queue-master-locator', 'ML', 'master locator'],
  ['x-max-priority', 'Pri', 'maximum priority'],
  ['x-single-active-consumer', 'SAC', 'single active consumer'],
]
const KNOWN = new Set(ARGUMENTS.map(([key]) => key))

const badge = (text, title, className) => h('abbr', { title, class: className }, text)

/** Excl links to the owning connection when the API names it (RabbitMQ's queue list does the same). */
function exclusive(o) {
  if (!o.exclusive) return null
  const owner = o.owner_pid_details?.name
  if (!owner) return badge('Excl', 'exclusive')
  return badge(h('a', { href: link('connections', owner) }, 'Excl'), `exclusive to connection ${owner}`)
}

function policies(o) {
  return [
    o.policy ? badge(h('a', { href: '#/admin/policies' }, o.policy), `Policy: ${o.policy}`, 'policy') : null,
    o.operator_policy
      ? badge(o.operator_policy, `Operator policy: ${o.operator_policy}`, 'policy operator')
      : null,
  ]
}

export function features(o) {
  const args = o.arguments ?? {}
  const other = Object.keys(args).filter((k) => !KNOWN.has(k))
  const badges = [
    ...FLAGS.map(([field, text, title]) => (o[field] ? badge(text, title) : null)),
    exclusive(o),
    ...ARGUMENTS.map(([key, text, what]) =>
      key in args ? badge(text, `${what} (${key}): ${fmtJson(args[key])}`) : null,
    ),
    other.length ? badge('Args', other.map((k) => `${k}: ${fmtJson(args[k])}`).join('\n')) : null,
    ...policies(o),
  ].filter(Boolean)
  return h('span', { class: 'features' }, badges.length ? badges : h('span', { class: 'muted' }, '–'))
}
