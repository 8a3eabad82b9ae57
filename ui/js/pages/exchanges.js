// Exchanges: the list with its add form, and one exchange's page (bindings both ways, publish, delete).
import { api, path } from '../api.js'
import { add, fmtBool, fmtJson, fmtNum, fmtRate, h, link, rateOf, replace } from '../dom.js'
import { bindForm, bindingsTable, fetchItems, publishForm } from '../forms.js'
import { toast } from '../notify.js'
import { delayedSection } from './delayed.js'
import { currentVhost, state } from '../state.js'
import {
  actionButton,
  actionForm,
  errorBox,
  facts,
  features,
  field,
  input,
  keyHints,
  kvEditor,
  listView,
  section,
  select,
  statusBox,
  vhostSelect,
  durabilitySelect,
  yesNoSelect,
} from '../widgets.js'

const urlName = (name) => name || 'amq.default'
const shown = (name) => (name === '' ? '(AMQP default)' : name)

export function exchangesPage(main) {
  const vhost = currentVhost()
  const list = listView({
    path: () => (vhost ? path`api/exchanges/${vhost}` : 'api/exchanges'),
    paginate: true,
    sort: 'name',
    empty: 'No exchanges',
    rowKey: (x) => urlName(x.name),
    columns: [
      vhost ? null : { title: 'Virtual host', value: (x) => x.vhost, sort: 'vhost' },
      {
        title: 'Name',
        value: (x) => h('a', { href: link('exchanges', x.vhost, urlName(x.name)) }, shown(x.name)),
        sort: 'name',
      },
      { title: 'Type', value: (x) => x.type, sort: 'type' },
      { title: 'Features', value: features },
      {
        title: 'Message rate in',
        value: (x) => fmtRate(rateOf(x.message_stats, 'publish_in') ?? 0),
        className: 'num',
      },
      {
        title: 'Message rate out',
        value: (x) => fmtRate(rateOf(x.message_stats, 'publish_out') ?? 0),
        className: 'num',
      },
    ].filter(Boolean),
  })
  add(
    main,
    h('h1', {}, 'Exchanges'),
    section('All exchanges', list.el),
    section('Add a new exchange', addExchangeForm(list.refresh)),
  )
  return { title: 'Exchanges', refresh: list.refresh }
}

function addExchangeForm(onAdded) {
  const vhost = vhostSelect()
  const name = input({ name: 'name', required: true })
  const types = (state.overview?.exchange_types ?? []).map((t) => t.name)
  const type = select('type', types.length ? types : ['direct', 'fanout', 'headers', 'topic'], 'direct')
  const durable = durabilitySelect()
  const autoDelete = yesNoSelect('auto_delete')
  const internal = yesNoSelect('internal')
  const args = kvEditor()
  return actionForm({
    className: 'add-exchange',
    submit: 'Add exchange',
    fields: [
      field('Virtual host', vhost),
      field('Name', name),
      field('Type', type),
      field('Durability', durable),
      field('Auto delete', autoDelete),
      field('Internal', internal),
      field(
        'Arguments',
        h('div', {}, args.el, keyHints(args, [['Alternate exchange', 'alternate-exchange', 'String']])),
      ),
    ],
    async action() {
      if (!name.value) throw new Error('Give the exchange a name.')
      const body = {
        type: type.value,
        durable: durable.value === 'true',
        auto_delete: autoDelete.value === 'true',
        internal: internal.value === 'true',
        arguments: args.value(),
      }
      await api('PUT', path`api/exchanges/${vhost.value}/${name.value}`, body)
      const created = name.value
      name.value = ''
      args.reset()
      await onAdded()
      return `Exchange '${created}' declared.`
    },
  })
}

export function exchangePage(main, vhost, urlNameParam) {
  const name = urlNameParam === 'amq.default' ? '' : urlNameParam
  const info = h('div', { class: 'info' })
  const outgoing = h('div')
  const incoming = h('div')
  const bindStatus = statusBox()
  const deleteStatus = statusBox()
  const refreshBindings = async () => {
    const [src, dst] = await Promise.all([
      fetchItems(path`api/exchanges/${vhost}/${urlNameParam}/bindings/source`),
      fetchItems(path`api/exchanges/${vhost}/${urlNameParam}/bindings/destination`),
    ])
    replace(
      outgoing,
      bindingsTable(src, { status: bindStatus, onChange: refreshBindings, showSource: false }),
    )
    replace(incoming, bindingsTable(dst, { status: bindStatus, onChange: refreshBindings }))
  }
  const builtIn = name === '' || name.startsWith('amq.')
  const delayed = delayedSection(vhost, urlNameParam)
  const delayedBox = section('Delayed messages', delayed.el)
  delayedBox.hidden = true
  add(
    main,
    h(
      'h1',
      {},
      'Exchange ',
      h('span', { class: 'name' }, shown(name)),
      h('small', { class: 'vhost' }, ` in virtual host ${vhost}`),
    ),
    section('Overview', info),
    name === ''
      ? section(
          'Bindings',
          h(
            'p',
            { class: 'muted' },
            'The default exchange is implicitly bound to every queue, with the queue name as routing key.',
          ),
        )
      : section(
          'Bindings',
          bindStatus.el,
          h('h3', {}, 'From this exchange'),
          outgoing,
          h('h3', {}, 'To this exchange'),
          incoming,
          h('h3', {}, 'Add binding from this exchange'),
          bindForm({ vhost, exchange: name, onChange: refreshBindings }),
        ),
    delayedBox,
    section('Publish message', publishForm({ vhost, exchange: urlNameParam })),
    builtIn
      ? null
      : section(
          'Delete this exchange',
          actionButton('Delete exchange', {
            className: 'danger delete',
            question: `Delete exchange '${name}'?`,
            status: deleteStatus,
            action: async () => {
              await api('DELETE', path`api/exchanges/${vhost}/${name}`)
              toast(`Exchange '${name}' deleted.`)
              location.hash = '#/exchanges'
            },
          }),
          deleteStatus.el,
        ),
  )
  return {
    title: `Exchange ${shown(name)}`,
    async refresh() {
      try {
        const x = await api('GET', path`api/exchanges/${vhost}/${urlNameParam}`)
        replace(
          info,
          facts([
            ['Type', x.type],
            ['Features', features(x)],
            ['Durable', fmtBool(x.durable)],
            ['Arguments', fmtJson(Object.keys(x.arguments ?? {}).length ? x.arguments : '') || 'none'],
            ['Message rate in', fmtRate(rateOf(x.message_stats, 'publish_in') ?? 0)],
            ['Message rate out', fmtRate(rateOf(x.message_stats, 'publish_out') ?? 0)],
            ...(x.type === 'x-delayed-message'
              ? [
                  ['Delayed messages', String(x.messages_delayed)],
                  [
                    'Next delivery',
                    x.next_delayed_delivery ? new Date(x.next_delayed_delivery).toLocaleString() : 'none',
                  ],
                ]
              : []),
            ...(x.type === 'x-message-deduplication' ? dedupFacts(x) : []),
          ]),
        )
        delayedBox.hidden = x.type !== 'x-delayed-message'
        if (!delayedBox.hidden) await delayed.refresh(x.messages_delayed).catch(() => undefined)
      } catch (err) {
        replace(info, errorBox(err, `No exchange '${shown(name)}' in virtual host '${vhost}'`))
        return
      }
      if (name !== '') await refreshBindings().catch((err) => bindStatus.error(err))
    },
  }
}

/** A deduplicating exchange's cache: keys kept of how many at most, and duplicates not routed. */
function dedupFacts(x) {
  const info = x.cache_info ?? { entries: 0, size: 0 }
  return [
    ['Deduplication cache', `${fmtNum(info.entries)} of ${fmtNum(info.size)} keys`],
    ['Duplicates dropped', fmtNum(x.messages_deduplicated ?? 0)],
  ]
}
