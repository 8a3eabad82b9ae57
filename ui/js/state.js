// What every page shares: who is logged in, the vhosts, the chosen vhost filter and refresh interval
// (kept in localStorage as preferences; the credentials themselves stay in sessionStorage, api.js).
import { api, itemsOf, session } from './api.js'

const PREFS = 'warren.prefs'

function loadPrefs() {
  try {
    return { vhost: '', interval: 5000, ...JSON.parse(localStorage.getItem(PREFS) ?? '{}') }
  } catch {
    return { vhost: '', interval: 5000 }
  }
}

export const state = {
  prefs: loadPrefs(),
  /** Names of the vhosts the user can see. */
  vhosts: ['/'],
  /** The last /api/overview answer (exchange types, versions, listeners). */
  overview: undefined,
}

export function savePrefs(changes) {
  Object.assign(state.prefs, changes)
  localStorage.setItem(PREFS, JSON.stringify(state.prefs))
}

export const user = () => session.get()?.user ?? ''
export const hasTag = (tag) => (session.get()?.tags ?? []).includes(tag)
export const isAdmin = () => hasTag('administrator')

/** The vhost filter, or '' for all; a vhost that has gone is treated as all. */
export const currentVhost = () => (state.vhosts.includes(state.prefs.vhost) ? state.prefs.vhost : '')

/** The vhost forms preselect: the filter, else '/' when visible, else the first one. */
export const defaultVhost = () =>
  currentVhost() || (state.vhosts.includes('/') ? '/' : (state.vhosts[0] ?? '/'))

export async function loadVhosts() {
  state.vhosts = itemsOf(await api('GET', 'api/vhosts?columns=name')).map((v) => v.name)
  return state.vhosts
}
