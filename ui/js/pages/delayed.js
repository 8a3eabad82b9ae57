// An x-delayed-message exchange's held messages on its page: the next 100 in due order with their
// schedules, a Cancel button for each (the rest of its series goes too) and a Purge button for all.
import { api, path } from '../api.js'
import { fmtBytes, fmtDuration, h, replace } from '../dom.js'
import { actionButton, statusBox, table } from '../widgets.js'

const LIMIT = 100

function scheduleText(m) {
  const parts = []
  if (m.cron) parts.push(`cron ${m.cron}`)
  if (m.delay > 0) parts.push(`delay ${fmtDuration(m.delay)}`)
  if (m.repeat > 0) parts.push(`${m.repeat + 1} deliveries ${fmtDuration(m.period)} apart`)
  return parts.join(', ') || 'once'
}

/** The section's element and its refresh; `count` is the exchange's messages_delayed. */
export function delayedSection(vhost, exchange) {
  const status = statusBox()
  const body = h('div')
  const base = path`api/exchanges/${vhost}/${exchange}/delayed`
  const refresh = async (count) => {
    const held = await api('GET', `${base}?limit=${LIMIT}`)
    const more =
      count > held.length ? h('p', { class: 'muted' }, `The next ${held.length} of ${count}.`) : null
    const purge =
      held.length === 0
        ? null
        : actionButton('Purge delayed messages', {
            className: 'danger',
            question: `Cancel all ${count} delayed messages of '${exchange}'?`,
            status,
            action: async () => {
              await api('DELETE', base)
              await refresh(0)
              return 'Delayed messages purged.'
            },
          })
    replace(
      body,
      heldTable(held, base, status, () => refresh(Math.max(0, count - 1))),
      more,
      purge,
    )
  }
  return { el: h('div', {}, status.el, body), refresh }
}

function heldTable(held, base, status, onChange) {
  return table(
    [
      {
        title: 'Due',
        value: (m) => [new Date(m.due).toLocaleString(), h('small', {}, ` in ${fmtDuration(m.due_in_ms)}`)],
      },
      { title: 'Routing key', value: (m) => m.routing_key ?? '' },
      { title: 'Message id', value: (m) => m.properties?.message_id ?? '' },
      { title: 'Schedule', value: scheduleText },
      { title: 'Left after this one', value: (m) => String(m.remaining), className: 'num' },
      { title: 'Payload', value: (m) => fmtBytes(m.payload_bytes), className: 'num' },
      {
        title: '',
        value: (m) =>
          actionButton('Cancel', {
            status,
            action: async () => {
              await api('DELETE', `${base}/${m.id}`)
              await onChange()
              return `Delayed message ${m.id} cancelled.`
            },
          }),
      },
    ],
    held,
    'No delayed messages',
  )
}
