// DOM building without HTML strings: names, payloads and reasons from the API are always set as text,
// so nothing a client declares (a queue called "<img onerror=...>") can run in the console.

/**
 * h('a', { href: '#/queues', class: 'x', onclick: fn }, 'text', childNode, [more], null)
 * Attributes: `class`, `on<event>` (functions), `dataset`, `style` (an object), and DOM properties such as `value`,
 * `checked`, `disabled`; anything else becomes an attribute. Falsy children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children)
}

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'multiple', 'required'])

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    // Through the CSSOM: the page's content security policy refuses style attributes.
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v)
    else if (PROPERTIES.has(k)) el[k] = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : String(c))
  }
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

// ---- formatting ----

const integer = new Intl.NumberFormat('en')
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 })

export const fmtNum = (n) => (typeof n === 'number' ? integer.format(n) : '')

export const fmtRate = (n) => (typeof n === 'number' ? `${decimal.format(n)}/s` : '')

export function fmtBytes(n) {
  if (typeof n !== 'number') return ''
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? n : decimal.format(n)} ${units[i]}`
}

export function fmtDuration(ms) {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const hours = Math.floor(m / 60)
  if (hours < 24) return `${hours}h ${m % 60}m`
  return `${Math.floor(hours / 24)}d ${hours % 24}h`
}

export const fmtTime = (ms) => (typeof ms === 'number' ? new Date(ms).toLocaleString() : '')

export const fmtBool = (b) => (b ? 'yes' : 'no')

/** A JSON value as one line of text (arguments, client properties). */
export function fmtJson(v) {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

/** The rate of `field` in an object with RabbitMQ's `<field>_details: {rate}`. */
export const rateOf = (obj, field) => obj?.[`${field}_details`]?.rate

/** `#/queues/%2F/orders` from ['queues', '/', 'orders']. */
export const link = (...parts) => '#/' + parts.map((p) => encodeURIComponent(p)).join('/')

/** Appends children to `el` as h() does (arrays flattened; null, undefined and false skipped). */
export function add(el, ...children) {
  append(el, children)
  return el
}
