// Toasts for outcomes that outlive the page that caused them (a deleted queue returns to the list).
import { h } from './dom.js'

let area

export function toast(text, kind = 'ok') {
  area ??= document.body.appendChild(h('div', { class: 'toasts', 'aria-live': 'polite' }))
  const el = h('div', { class: `toast ${kind}`, title: 'Click to dismiss', onclick: () => el.remove() }, text)
  area.append(el)
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000)
}
