// Admin › Permissions: every user's permissions in every vhost, set and clear.
import { api, itemsOf } from '../api.js'
import { h, replace } from '../dom.js'
import { loadVhosts } from '../state.js'
import { section, statusBox } from '../widgets.js'
import { adminFrame, permissionsTable, setPermissionForm } from './admin.js'

export function permissionsPage(main) {
  const list = h('div')
  const status = statusBox()
  const form = h('div')
  let formShown = false
  const refresh = async () => {
    try {
      const rows = itemsOf(await api('GET', 'api/permissions?sort=user'))
      replace(list, permissionsTable(rows, { status, onChange: refresh }))
      if (!formShown) {
        await loadVhosts()
        const users = itemsOf(await api('GET', 'api/users')).map((u) => u.name)
        replace(form, setPermissionForm({ users, onChange: refresh }))
        formShown = true
      }
    } catch (err) {
      status.error(err)
    }
  }
  adminFrame(
    main,
    'permissions',
    h('h1', {}, 'Permissions'),
    section('All permissions', status.el, list),
    section('Set permission', form),
  )
  return { title: 'Permissions', refresh }
}
