// A stream queue's "Read from an offset" section: RabbitMQ's get is refused on streams (nothing is ever
// taken from one), so the console reads with Warren's POST .../read instead: messages from an offset
// (first, last, next, a number, a time such as 2026-12-05T10:00:00Z, or an interval such as 1h), with
// their offsets and chunk times. Reading removes and marks nothing.
import { api, path } from '../api.js'
import { fmtJson, h, replace } from '../dom.js'
import { actionForm, field, input, select, table } from '../widgets.js'

/** A number is an offset; anything else goes as typed (the broker parses it as x-stream-offset). */
function offsetValue(text) {
  const t = text.trim()
  return /^-?\d+$/.test(t) ? Number(t) : t
}

export function streamReadForm({ vhost, queue }) {
  const offset = input({ name: 'offset', value: 'first' })
  const count = input({ name: 'count', type: 'number', min: 1, max: 1000, value: '10' })
  const encoding = select(
    'encoding',
    [
      ['auto', 'Automatic string/base64'],
      ['base64', 'Base64'],
    ],
    'auto',
  )
  const results = h('div', { class: 'messages' })
  const form = actionForm({
    className: 'stream-read',
    submit: 'Read messages',
    fields: [
      field(
        'Offset',
        offset,
        'first, last, next, an offset, a time (2026-12-05T10:00:00Z) or an interval (1h)',
      ),
      field('Messages', count),
      field('Encoding', encoding),
    ],
    async action() {
      const body = { offset: offsetValue(offset.value), count: Number(count.value), encoding: encoding.value }
      const messages = await api('POST', path`api/queues/${vhost}/${queue}/read`, body)
      replace(results, messagesTable(messages))
      return messages.length === 0
        ? 'Nothing at that offset yet.'
        : `Read ${messages.length} message${messages.length === 1 ? '' : 's'}.`
    },
  })
  return h('div', {}, form, results)
}

function messagesTable(messages) {
  return table(
    [
      { title: 'Offset', value: (m) => String(m.offset) },
      { title: 'Written', value: (m) => new Date(m.timestamp).toLocaleString() },
      { title: 'Routing key', value: (m) => m.routing_key },
      { title: 'Properties', value: (m) => fmtJson(m.properties) },
      { title: 'Payload', value: (m) => h('pre', { class: 'payload' }, m.payload) },
    ],
    messages,
  )
}
