// The login form. The credentials are checked with /api/whoami before they are stored, so a refusal
// shows the API's own reason (Login failed, Not management user, ...).
import { api, basic, session } from '../api.js'
import { h } from '../dom.js'
import { statusBox } from '../widgets.js'

export function loginPage({ message, onLogin }) {
  const status = statusBox()
  if (message) status.ok(message)
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true })
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' })
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in')
  const form = h(
    'form',
    { class: 'login', id: 'login' },
    h('h1', {}, h('img', { src: 'favicon.svg', alt: '' }), 'Warren'),
    h('p', { class: 'muted' }, 'Log in with a user tagged management, monitoring or administrator.'),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'Username'), username),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'Password'), password),
    h('div', { class: 'actions' }, button),
    status.el,
  )
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    button.disabled = true
    status.clear()
    try {
      const me = await api('GET', 'api/whoami', undefined, { token: basic(username.value, password.value) })
      session.save(username.value, password.value, me?.tags ?? [])
      onLogin()
    } catch (err) {
      status.error(err)
      password.select()
    } finally {
      button.disabled = false
    }
  })
  return h('div', { class: 'login-wrap' }, form)
}
