// Admin › Policies: user policies (and, for administrators, operator policies) listed, added or updated
// (PUT /api/{policies,operator-policies}/{vhost}/{name}) and deleted. The API validates definitions;
// its refusals show in the form as they are.
import { api } from '../api.js'
import { fmtJson, h } from '../dom.js'
import { currentVhost, isAdmin } from '../state.js'
import {
  actionButton,
  actionForm,
  field,
  input,
  keyHints,
  kvEditor,
  listView,
  section,
  select,
  statusBox,
  vhostSelect,
} from '../widgets.js'
import { adminFrame } from './admin.js'

const DEFINITION_KEYS = [
  ['Message TTL', 'message-ttl', 'Number'],
  ['Auto expire', 'expires', 'Number'],
  ['Max length', 'max-length', 'Number'],
  ['Max length bytes', 'max-length-bytes', 'Number'],
  ['Overflow behaviour', 'overflow', 'String'],
  ['Dead letter exchange', 'dead-letter-exchange', 'String'],
  ['Dead letter routing key', 'dead-letter-routing-key', 'String'],
  ['Lazy mode', 'queue-mode', 'String'],
  ['Alternate exchange', 'alternate-exchange', 'String'],
]

const KINDS = { policies: 'Policy', 'operator-policies': 'Operator policy' }

export function policiesPage(main) {
  const user = policyList('policies')
  const operator = isAdmin() ? policyList('operator-policies') : undefined
  adminFrame(
    main,
    'policies',
    h('h1', {}, 'Policies'),
    section('User policies', user.el),
    operator ? section('Operator policies', operator.el) : null,
    section(
      'Add / update a policy',
      policyForm(async () => {
        await user.refresh()
        await operator?.refresh()
      }),
    ),
  )
  return {
    title: 'Policies',
    async refresh() {
      await user.refresh()
      await operator?.refresh()
    },
  }
}

/** /api/policies or /api/operator-policies as a list with delete buttons. */
function policyList(kind) {
  const vhost = currentVhost()
  const status = statusBox()
  const list = listView({
    path: () => (vhost ? `api/${kind}/${encodeURIComponent(vhost)}` : `api/${kind}`),
    empty: 'No policies',
    rowKey: (p) => `${p.vhost}/${p.name}`,
    columns: [
      vhost ? null : { title: 'Virtual host', value: (p) => p.vhost },
      { title: 'Name', value: (p) => p.name },
      { title: 'Pattern', value: (p) => h('code', {}, p.pattern) },
      { title: 'Apply to', value: (p) => p['apply-to'] },
      {
        title: 'Definition',
        value: (p) => Object.entries(p.definition ?? {}).map(([k, v]) => h('div', {}, `${k}: ${fmtJson(v)}`)),
      },
      { title: 'Priority', value: (p) => String(p.priority), className: 'num' },
      {
        title: '',
        value: (p) =>
          actionButton('Delete', {
            className: 'delete-policy',
            question: `Delete ${KINDS[kind].toLowerCase()} '${p.name}' in virtual host '${p.vhost}'?`,
            status,
            action: async () => {
              await api('DELETE', `api/${kind}/${encodeURIComponent(p.vhost)}/${encodeURIComponent(p.name)}`)
              await list.refresh()
              return `${KINDS[kind]} '${p.name}' deleted.`
            },
          }),
      },
    ].filter(Boolean),
  })
  return { el: h('div', {}, status.el, list.el), refresh: list.refresh }
}

function policyForm(onChange) {
  const vhost = vhostSelect()
  const name = input({ name: 'name' })
  const pattern = input({ name: 'pattern', placeholder: '^orders\\.' })
  const applyTo = select(
    'apply-to',
    [
      ['queues', 'Queues'],
      ['exchanges', 'Exchanges'],
      ['all', 'Exchanges and queues'],
    ],
    'queues',
  )
  const priority = input({ name: 'priority', type: 'number', value: '0' })
  const definition = kvEditor()
  const kind = select('kind', Object.entries(KINDS), 'policies')
  return actionForm({
    className: 'add-policy',
    submit: 'Add / update policy',
    fields: [
      isAdmin() ? field('Kind', kind) : null,
      field('Virtual host', vhost),
      field('Name', name),
      field('Pattern', pattern, 'a regular expression matched against queue or exchange names'),
      field('Apply to', applyTo),
      field('Priority', priority),
      field('Definition', h('div', {}, definition.el, keyHints(definition, DEFINITION_KEYS))),
    ],
    async action() {
      if (!name.value) throw new Error('Give the policy a name.')
      const body = {
        pattern: pattern.value,
        definition: definition.value(),
        priority: Number(priority.value || 0),
        'apply-to': applyTo.value,
      }
      await api(
        'PUT',
        `api/${kind.value}/${encodeURIComponent(vhost.value)}/${encodeURIComponent(name.value)}`,
        body,
      )
      await onChange()
      return `${KINDS[kind.value]} '${name.value}' set.`
    },
  })
}
