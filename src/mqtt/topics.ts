// MQTT topics and AMQP routing keys, as RabbitMQ's MQTT plugin maps them: the level separators `/` and
// `.` are swapped (so an MQTT topic a/b is the routing key a.b on amq.topic, and a.b comes back as a/b),
// and the single-level wildcard `+` becomes `*` (`#` is `#` in both).

/**
 * Translations already made, by topic and by routing key: a publisher or a subscription uses a few topics
 * over and over, and building the string again character by character for every message showed in
 * profiles. Dropped whole when they grow past CACHE_LIMIT (many one-off topics).
 */
const CACHE_LIMIT = 4096
const amqpOf = new Map<string, string>()
const mqttOf = new Map<string, string>()

function cached(cache: Map<string, string>, s: string, translate: (s: string) => string): string {
  let out = cache.get(s)
  if (out !== undefined) return out
  out = translate(s)
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(s, out)
  return out
}

/** An MQTT topic name or filter as an AMQP routing key or binding key. */
export function toAmqp(topic: string): string {
  return cached(amqpOf, topic, (t) => {
    let out = ''
    for (const ch of t) out += ch === '/' ? '.' : ch === '.' ? '/' : ch === '+' ? '*' : ch
    return out
  })
}

/** An AMQP routing key as the MQTT topic a subscriber is sent. */
export function toMqtt(routingKey: string): string {
  return cached(mqttOf, routingKey, (k) => {
    let out = ''
    for (const ch of k) out += ch === '.' ? '/' : ch === '/' ? '.' : ch === '*' ? '+' : ch
    return out
  })
}

/** A topic filter as §4.7 allows it: `#` last and alone in its level, `+` alone in its level. */
export function validFilter(filter: string): boolean {
  if (filter === '') return false
  const levels = filter.split('/')
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1
    return !level.includes('+') || level === '+'
  })
}

/** Whether `topic` matches `filter` (§4.7); topics starting with `$` are not matched by a leading wildcard. */
export function matchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}
