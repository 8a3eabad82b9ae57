// The console's building blocks: sections, message boxes, forms that report the API's answer,
// key/value editors for arguments and headers, and a list view with sorting, filtering and paging.
import { askToConfirm } from './confirm.js'
import { h, replace } from './dom.js'
import { toast } from './notify.js'
import { defaultVhost, state } from './state.js'

/** A titled, collapsible block (RabbitMQ's sections). */
export function section(title, ...children) {
  return h(
    'details',
    { class: 'section', open: true },
    h('summary', {}, title),
    h('div', { class: 'body' }, children),
  )
}

/** An inline message box: ok() and error() show the outcome of the last action. */
export function statusBox() {
  const el = h('div', { class: 'status', role: 'status', hidden: true })
  const show = (kind, text) => {
    el.className = `status ${kind}`
    el.hidden = false
    replace(el, text)
  }
  return {
    el,
    ok: (text) => show('ok', text),
    warn: (text) => show('warn', text),
    error: (err) => show('error', err instanceof Error ? err.message : String(err)),
    clear: () => {
      el.hidden = true
      replace(el)
    },
  }
}

/** An error in place of a page's content; a 404 says which object is missing. */
export const errorBox = (err, missing) =>
  h(
    'div',
    { class: 'status error' },
    err.status === 404 && missing ? `${missing} (${err.message}).` : err.message,
  )

/** A labelled form row. */
export const field = (label, control, hint) =>
  h(
    'label',
    { class: 'field' },
    h('span', { class: 'label' }, label),
    control,
    hint ? h('small', {}, hint) : null,
  )

export const input = (attrs = {}) => h('input', { type: 'text', autocomplete: 'off', ...attrs })

/** <select>; options are values or [value, label] pairs. */
export function select(name, options, value) {
  return h(
    'select',
    { name },
    options.map((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, o]
      return h('option', { value: v, selected: v === value }, label)
    }),
  )
}

export const vhostSelect = (name = 'vhost') => select(name, state.vhosts, defaultVhost())

/** A No/Yes choice sent as 'false'/'true' (auto delete, internal, ...). */
export const yesNoSelect = (name, value = 'false') =>
  select(
    name,
    [
      ['false', 'No'],
      ['true', 'Yes'],
    ],
    value,
  )

/** Durable or transient, durable by default, as RabbitMQ's console offers it. */
export const durabilitySelect = () =>
  select(
    'durable',
    [
      ['true', 'Durable'],
      ['false', 'Transient'],
    ],
    'true',
  )

/** After a change the open page and the overview refresh at once (main.js listens). */
const changed = () => document.dispatchEvent(new CustomEvent('warren:changed'))

/** Shows an action's outcome: a message, { warn: message }, or nothing. */
function report(status, outcome) {
  if (typeof outcome === 'string') status?.ok(outcome)
  else if (outcome?.warn) status?.warn(outcome.warn)
}

/**
 * A form whose submit runs `action(form)`; the message it returns (or the error it throws) shows in
 * the form's status box. The button is disabled while the request runs.
 */
export function actionForm({ fields, submit, action, className = '' }) {
  const status = statusBox()
  const button = h('button', { type: 'submit', class: 'primary' }, submit)
  const form = h(
    'form',
    { class: `form ${className}`, novalidate: true },
    fields,
    h('div', { class: 'actions' }, button),
    status.el,
  )
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    button.disabled = true
    status.clear()
    try {
      report(status, await action(form))
      changed()
    } catch (err) {
      status.error(err)
    } finally {
      button.disabled = false
    }
  })
  return form
}

/** A button that asks first (when `question` is given), runs `action`, and reports to `status`. */
export function actionButton(label, { question, action, status, className = '' }) {
  return h(
    'button',
    {
      type: 'button',
      class: className,
      onclick: async (ev) => {
        const button = ev.currentTarget
        if (question && !(await askToConfirm(question, { confirmLabel: label }))) return
        button.disabled = true
        status?.clear()
        try {
          report(status, await action())
          changed()
        } catch (err) {
          if (status) status.error(err)
          else toast(err instanceof Error ? err.message : String(err), 'error')
        } finally {
          button.disabled = false
        }
      },
    },
    label,
  )
}

/** Key/value pairs typed as AMQP needs them; a new empty row appears once the last one is used. */
export function kvEditor({ keys = [], types = ['String', 'Number', 'Boolean', 'JSON'] } = {}) {
  const listId = `keys-${Math.random().toString(36).slice(2)}`
  const rows = h('div', { class: 'kv-rows' })
  const el = h(
    'div',
    { class: 'kv' },
    rows,
    keys.length
      ? h(
          'datalist',
          { id: listId },
          keys.map((k) => h('option', { value: k })),
        )
      : null,
  )
  const addRow = () => {
    const k = input({
      class: 'kv-key',
      placeholder: 'key',
      list: keys.length ? listId : undefined,
    })
    const v = input({ class: 'kv-value', placeholder: 'value' })
    const t = select('type', types, types[0])
    const row = h(
      'div',
      { class: 'kv-row' },
      k,
      h('span', { class: 'eq' }, '='),
      v,
      types.length > 1 ? t : null,
    )
    row.addEventListener('input', () => {
      if (row === rows.lastElementChild && (k.value || v.value)) addRow()
    })
    rows.append(row)
    return row
  }
  addRow()
  return {
    el,
    /** Adds `key` of `type` (in the empty last row when there is one) and focuses its value. */
    add(key, type) {
      const last = rows.lastElementChild
      const isEmpty = last && !last.querySelector('.kv-key').value && !last.querySelector('.kv-value').value
      const row = isEmpty ? last : addRow()
      row.querySelector('.kv-key').value = key
      const typeSelect = row.querySelector('select')
      if (typeSelect) typeSelect.value = type
      if (row === rows.lastElementChild) addRow()
      row.querySelector('.kv-value').focus()
    },
    /** The pairs as a JSON object; throws an Error naming the bad value. */
    value() {
      const out = {}
      for (const row of rows.children) {
        const key = row.querySelector('.kv-key').value.trim()
        const raw = row.querySelector('.kv-value').value
        if (!key) continue
        out[key] = typed(key, raw, row.querySelector('select')?.value ?? types[0])
      }
      return out
    },
    reset() {
      rows.replaceChildren()
      addRow()
    },
  }
}

function typed(key, raw, type) {
  if (type === 'Number') {
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`'${key}' is not a number: '${raw}'`)
    return n
  }
  if (type === 'Boolean') {
    if (raw !== 'true' && raw !== 'false') throw new Error(`'${key}' must be true or false, not '${raw}'`)
    return raw === 'true'
  }
  if (type === 'JSON') {
    try {
      return JSON.parse(raw)
    } catch {
      throw new Error(`'${key}' is not valid JSON: '${raw}'`)
    }
  }
  return raw
}

/** Clickable hints that add a well-known key to a kvEditor ("Add: Message TTL | Max length"). */
export const keyHints = (editor, hints) =>
  h(
    'div',
    { class: 'hints' },
    'Add: ',
    hints.map(([label, key, type], i) => [
      i ? ' | ' : '',
      h('a', { href: '#', onclick: (ev) => (ev.preventDefault(), editor.add(key, type)) }, label),
    ]),
  )

/** A plain table; columns: [{ title, value: row => node|text, className }]. */
export function table(columns, rows, empty = 'Nothing to show') {
  return h(
    'table',
    { class: 'list' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { class: c.className }, c.title)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { class: 'empty', colspan: columns.length }, empty))
        : rows.map((r) =>
            h(
              'tr',
              {},
              columns.map((c) => h('td', { class: c.className }, c.value(r))),
            ),
          ),
    ),
  )
}

/** A small definition list of [label, value] pairs. */
export const facts = (pairs) =>
  h(
    'dl',
    { class: 'facts' },
    pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  )

export { features } from './features.js'
export { listView } from './list-view.js'
