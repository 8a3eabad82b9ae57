// Admin › Definitions: export (GET /api/definitions[/{vhost}], saved as a file) and import (a file's
// JSON posted to the same path). Both need the administrator tag.
import { api, path } from '../api.js'
import { h } from '../dom.js'
import { state } from '../state.js'
import { actionForm, field, section, select } from '../widgets.js'
import { adminFrame } from './admin.js'

const vhostChoice = () => select('vhost', [['', 'All virtual hosts'], ...state.vhosts.map((v) => [v, v])], '')
const endpoint = (vhost) => (vhost ? path`api/definitions/${vhost}` : 'api/definitions')

export function definitionsPage(main) {
  adminFrame(
    main,
    'definitions',
    h('h1', {}, 'Definitions'),
    h(
      'p',
      { class: 'muted' },
      'Users, virtual hosts, permissions, policies, queues, exchanges and bindings, as RabbitMQ writes them.',
    ),
    section('Export definitions', exportForm()),
    section('Import definitions', importForm()),
  )
  return { title: 'Definitions' }
}

function exportForm() {
  const vhost = vhostChoice()
  const file = h('input', { type: 'text', name: 'filename', value: defaultName() })
  return actionForm({
    className: 'export',
    submit: 'Download broker definitions',
    fields: [field('Virtual host', vhost), field('File name', file)],
    async action() {
      const defs = await api('GET', endpoint(vhost.value))
      const blob = new Blob([JSON.stringify(defs, null, 2)], { type: 'application/json' })
      const url = URL.createObjectURL(blob)
      const a = h('a', { href: url, download: file.value || defaultName() })
      document.body.append(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      return `Exported ${count(defs)}.`
    },
  })
}

function importForm() {
  const vhost = vhostChoice()
  const file = h('input', { type: 'file', name: 'file', accept: '.json,application/json' })
  return actionForm({
    className: 'import',
    submit: 'Upload broker definitions',
    fields: [field('Definitions file', file), field('Virtual host', vhost)],
    async action() {
      const chosen = file.files?.[0]
      if (!chosen) throw new Error('Choose a definitions file first.')
      const text = await chosen.text()
      let defs
      try {
        defs = JSON.parse(text)
      } catch (err) {
        throw new Error(`${chosen.name} is not JSON: ${err.message}`, { cause: err })
      }
      await api('POST', endpoint(vhost.value), text)
      file.value = ''
      return `Your definitions were imported successfully (${count(defs)}).`
    },
  })
}

function count(defs) {
  const parts = ['users', 'vhosts', 'permissions', 'policies', 'queues', 'exchanges', 'bindings']
    .filter((k) => Array.isArray(defs?.[k]))
    .map((k) => `${defs[k].length} ${k}`)
  return parts.join(', ') || 'no objects'
}

function defaultName() {
  const host = location.hostname || 'localhost'
  return `warren_${host}_${new Date().toISOString().slice(0, 10)}.json`
}
