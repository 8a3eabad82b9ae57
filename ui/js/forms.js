// Forms shared by the exchange and queue pages: publish a message, get messages, bind and unbind.
import { api, itemsOf, path } from './api.js'
import { fmtBytes, fmtJson, h, link, replace } from './dom.js'
import { actionButton, actionForm, field, input, kvEditor, select, statusBox, table } from './widgets.js'

const PROPERTY_NAMES = [
  'content_type',
  'content_encoding',
  'priority',
  'correlation_id',
  'reply_to',
  'expiration',
  'message_id',
  'timestamp',
  'type',
  'user_id',
  'app_id',
  'cluster_id',
]
const NUMERIC_PROPERTIES = new Set(['priority', 'timestamp'])

/**
 * Publishes through /api/exchanges/{vhost}/{exchange}/publish; on a queue page `queue` fixes the
 * routing key and the exchange is the default one (amq.default in URLs).
 */
export function publishForm({ vhost, exchange, queue }) {
  const routingKey = input({ name: 'routing_key', value: queue ?? '', disabled: queue !== undefined })
  const mode = select(
    'delivery_mode',
    [
      ['1', '1 - Non-persistent'],
      ['2', '2 - Persistent'],
    ],
    '1',
  )
  const headers = kvEditor()
  const props = kvEditor({ keys: PROPERTY_NAMES, types: [] })
  const payload = h('textarea', { name: 'payload', rows: 4 })
  const encoding = select(
    'payload_encoding',
    [
      ['string', 'String'],
      ['base64', 'Base64'],
    ],
    'string',
  )
  return actionForm({
    className: 'publish',
    submit: 'Publish message',
    fields: [
      queue === undefined
        ? field('Routing key', routingKey)
        : h(
            'p',
            { class: 'muted' },
            'Published through the default exchange with the queue name as routing key.',
          ),
      field('Delivery mode', mode),
      field('Headers', headers.el),
      field('Properties', props.el, 'content_type, correlation_id, expiration, message_id, …'),
      field('Payload', payload),
      field('Payload encoding', encoding),
    ],
    async action() {
      const properties = { delivery_mode: Number(mode.value) }
      const hdrs = headers.value()
      if (Object.keys(hdrs).length) properties.headers = hdrs
      for (const [k, v] of Object.entries(props.value()))
        properties[k] = NUMERIC_PROPERTIES.has(k) ? Number(v) : v
      const body = {
        properties,
        routing_key: queue ?? routingKey.value,
        payload: payload.value,
        payload_encoding: encoding.value,
      }
      const reply = await api('POST', path`api/exchanges/${vhost}/${exchange || 'amq.default'}/publish`, body)
      return reply?.routed ? 'Message published.' : { warn: 'Message published, but not routed.' }
    },
  })
}

/** Gets messages from a queue (POST .../get) and shows them; the ack mode decides whether they stay. */
export function getForm({ vhost, queue }) {
  const ackmode = select(
    'ackmode',
    [
      ['ack_requeue_true', 'Nack message requeue true'],
      ['ack_requeue_false', 'Automatic ack'],
      ['reject_requeue_true', 'Reject requeue true'],
      ['reject_requeue_false', 'Reject requeue false'],
    ],
    'ack_requeue_true',
  )
  const encoding = select(
    'encoding',
    [
      ['auto', 'Automatic string/base64'],
      ['base64', 'Base64'],
    ],
    'auto',
  )
  const count = input({ name: 'count', type: 'number', min: 1, value: '1' })
  const results = h('div', { class: 'messages' })
  const form = actionForm({
    className: 'get',
    submit: 'Get message(s)',
    fields: [field('Ack mode', ackmode), field('Encoding', encoding), field('Messages', count)],
    async action() {
      const body = {
        count: Number(count.value),
        ackmode: ackmode.value,
        encoding: encoding.value,
        truncate: 50000,
      }
      const messages = await api('POST', path`api/queues/${vhost}/${queue}/get`, body)
      replace(
        results,
        messages.map((m, i) => messageCard(m, i)),
      )
      return messages.length === 0
        ? 'Queue is empty.'
        : `Got ${messages.length} message${messages.length === 1 ? '' : 's'}.`
    },
  })
  return h('div', {}, form, results)
}

function messageCard(m, i) {
  const props = Object.entries(m.properties ?? {}).filter(([k]) => k !== 'headers')
  const headers = Object.entries(m.properties?.headers ?? {})
  return h(
    'div',
    { class: 'message' },
    h('h3', {}, `Message ${i + 1}`),
    h(
      'p',
      { class: 'muted' },
      `The server reported ${m.message_count} message${m.message_count === 1 ? '' : 's'} remaining.`,
    ),
    table(
      [
        { title: 'Field', value: (r) => r[0] },
        { title: 'Value', value: (r) => r[1] },
      ],
      [
        ['Exchange', m.exchange === '' ? '(AMQP default)' : m.exchange],
        ['Routing key', m.routing_key],
        ['Redelivered', m.redelivered ? 'yes' : 'no'],
        ...props.map(([k, v]) => [k, fmtJson(v)]),
        ...headers.map(([k, v]) => [`header ${k}`, fmtJson(v)]),
        ['Payload', `${fmtBytes(m.payload_bytes)}, encoding: ${m.payload_encoding}`],
      ],
    ),
    h('pre', { class: 'payload' }, m.payload),
  )
}

/** A bindings table with unbind buttons; `rows` are API bindings. */
export function bindingsTable(rows, { status, onChange, showSource = true }) {
  const name = (n, type) =>
    n === ''
      ? '(AMQP default)'
      : h(
          'a',
          { href: type === 'queue' ? link('queues', rows[0].vhost, n) : link('exchanges', rows[0].vhost, n) },
          n,
        )
  return table(
    [
      showSource
        ? { title: 'From', value: (b) => name(b.source, 'exchange') }
        : {
            title: 'To',
            value: (b) => [name(b.destination, b.destination_type), h('small', {}, ` ${b.destination_type}`)],
          },
      { title: 'Routing key', value: (b) => b.routing_key },
      { title: 'Arguments', value: (b) => fmtJson(Object.keys(b.arguments ?? {}).length ? b.arguments : '') },
      {
        title: '',
        value: (b) =>
          b.source === ''
            ? h('small', { class: 'muted' }, 'implicit')
            : actionButton('Unbind', {
                status,
                action: async () => {
                  const kind = b.destination_type === 'queue' ? 'q' : 'e'
                  await api(
                    'DELETE',
                    path`api/bindings/${b.vhost}/e/${b.source}/${kind}/${b.destination}/${b.properties_key}`,
                  )
                  await onChange()
                  return `Unbound ${b.source} → ${b.destination}.`
                },
              }),
      },
    ],
    rows,
    'No bindings',
  )
}

/** Binds `exchange` to a destination, or a source exchange to `queue`. */
export function bindForm({ vhost, queue, exchange, onChange }) {
  const other = input({ name: 'other', required: true })
  const kind = select(
    'kind',
    [
      ['q', 'To queue'],
      ['e', 'To exchange'],
    ],
    'q',
  )
  const key = input({ name: 'routing_key' })
  const args = kvEditor()
  return actionForm({
    className: 'bind',
    submit: 'Bind',
    fields: [
      queue !== undefined
        ? field('From exchange', other)
        : field('Destination', h('div', { class: 'inline-pair' }, kind, other)),
      field('Routing key', key),
      field('Arguments', args.el),
    ],
    async action() {
      const body = { routing_key: key.value, arguments: args.value() }
      if (queue !== undefined)
        await api('POST', path`api/bindings/${vhost}/e/${other.value}/q/${queue}`, body)
      else await api('POST', path`api/bindings/${vhost}/e/${exchange}/${kind.value}/${other.value}`, body)
      await onChange()
      return 'Binding added.'
    },
  })
}

/** Rows of a list endpoint, for tables that are not list views. */
export const fetchItems = async (p) => itemsOf(await api('GET', p))

export { statusBox }
