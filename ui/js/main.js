// The console's shell: login, the header with its tabs, hash routing to pages, and the refresh loop
// (every interval: read /api/overview for the header, then refresh the open page; charts take their
// history from the server).
import { api, session, setLoginFailedHandler } from './api.js'
import { h, replace } from './dom.js'
import { toast } from './notify.js'
import { currentVhost, isAdmin, hasTag, loadVhosts, savePrefs, state, user } from './state.js'
import { loginPage } from './pages/login.js'
import { routes } from './routes.js'

const app = document.getElementById('app')
let page // { title, refresh?, destroy? } of the mounted page
let timer
let ticks = 0 // the latest tick schedules the next; an older one still in flight does not
let shell // { main, tabs, refreshed, vhostSelect }

setLoginFailedHandler((err) =>
  logout(`Your login is no longer accepted (${err.message}). Please log in again.`),
)
window.addEventListener('hashchange', () => void render())
document.addEventListener('warren:changed', () => void tick())
void render()

async function render() {
  if (!session.get()) return showLogin()
  shell ??= await buildShell()
  const path = location.hash.replace(/^#\/?/, '')
  const [route, params] = match(path)
  page?.destroy?.()
  replace(shell.main)
  for (const tab of shell.tabs.querySelectorAll('a'))
    tab.classList.toggle('active', tab.dataset.tab === route.tab)
  try {
    page = route.mount(shell.main, ...params) ?? {}
  } catch (err) {
    page = {}
    replace(shell.main, h('div', { class: 'status error' }, err.message))
  }
  document.title = `${page.title ?? 'Warren'} - Warren`
  await tick()
}

function match(path) {
  for (const route of routes) {
    const m = route.path.exec(path)
    if (m) return [route, m.slice(1).map((p) => decodeURIComponent(p))]
  }
  return [routes[0], []]
}

/** One refresh: the overview sample first (the charts and the header use it), then the page. */
async function tick() {
  clearTimeout(timer)
  const n = ++ticks
  try {
    state.overview = await api('GET', 'api/overview')
    if (shell) replace(shell.version, `${state.overview.product_name} ${state.overview.product_version}`)
  } catch (err) {
    if (!session.get()) return
    toast(err.message, 'error')
  }
  await page?.refresh?.()
  if (shell) replace(shell.refreshed, `Refreshed ${new Date().toLocaleTimeString()}`)
  if (n === ticks && state.prefs.interval > 0 && session.get())
    timer = setTimeout(() => void tick(), state.prefs.interval)
}

async function buildShell() {
  await loadVhosts().catch(() => {})
  const tabs = h(
    'nav',
    { class: 'tabs' },
    [
      ['overview', '#/', 'Overview'],
      ['connections', '#/connections', 'Connections'],
      ['channels', '#/channels', 'Channels'],
      ['exchanges', '#/exchanges', 'Exchanges'],
      ['queues', '#/queues', 'Queues'],
      isAdmin() || hasTag('policymaker')
        ? ['admin', isAdmin() ? '#/admin/users' : '#/admin/policies', 'Admin']
        : null,
    ]
      .filter(Boolean)
      .map(([tab, href, label]) => h('a', { href, dataset: { tab } }, label)),
  )
  const refreshed = h('span', { class: 'refreshed' })
  const version = h('span', { class: 'version' })
  const main = h('main', { id: 'page' })
  const interval = h(
    'select',
    { 'aria-label': 'Refresh interval' },
    [
      [5000, 'every 5 seconds'],
      [10000, 'every 10 seconds'],
      [30000, 'every 30 seconds'],
      [0, 'never'],
    ].map(([v, label]) => h('option', { value: v, selected: v === state.prefs.interval }, label)),
  )
  interval.addEventListener('change', () => (savePrefs({ interval: Number(interval.value) }), void tick()))
  const vhostSelect = h('select', { 'aria-label': 'Virtual host', id: 'vhost-filter' })
  fillVhosts(vhostSelect)
  vhostSelect.addEventListener('change', () => (savePrefs({ vhost: vhostSelect.value }), void render()))
  vhostSelect.addEventListener('focus', () => void loadVhosts().then(() => fillVhosts(vhostSelect)))
  const header = h(
    'header',
    { class: 'top' },
    h(
      'div',
      { class: 'brand' },
      h('a', { href: '#/', class: 'logo' }, h('img', { src: 'favicon.svg', alt: '' }), 'Warren'),
      version,
    ),
    h(
      'div',
      { class: 'session' },
      refreshed,
      h('label', {}, 'Refresh ', interval),
      h('label', {}, 'Virtual host ', vhostSelect),
      h('span', { class: 'user' }, 'User ', h('strong', {}, user())),
      h('button', { type: 'button', class: 'logout', onclick: () => logout('Logged out.') }, 'Log out'),
    ),
  )
  // As RabbitMQ's console: where the HTTP API and the command-line tools are described.
  const footer = h(
    'footer',
    { class: 'bottom' },
    h('a', { href: 'https://www.rabbitmq.com/docs/management#http-api', rel: 'noreferrer' }, 'HTTP API'),
    ' · ',
    h('a', { href: 'cli/' }, 'Command line'),
  )
  replace(app, header, tabs, main, footer)
  return { main, tabs, refreshed, version, vhostSelect }
}

function fillVhosts(select) {
  const chosen = currentVhost()
  replace(
    select,
    h('option', { value: '' }, 'All'),
    state.vhosts.map((v) => h('option', { value: v, selected: v === chosen }, v)),
  )
}

function showLogin(message) {
  clearTimeout(timer)
  page?.destroy?.()
  page = undefined
  shell = undefined
  document.title = 'Log in - Warren'
  replace(app, loginPage({ message, onLogin: () => void render() }))
}

function logout(message) {
  session.clear()
  showLogin(message)
}
