// A list of API objects: sortable columns (sorted by the API), a name filter, and the API's pages
// (page, page_size, name, use_regex) for the endpoints that paginate; others filter in the browser.
import { api, itemsOf } from './api.js'
import { h, replace } from './dom.js'
import { statusBox } from './widgets.js'

const PAGE_SIZES = [20, 100, 500]

/**
 * path(): the endpoint, read at each refresh (it may depend on the vhost filter).
 * columns: [{ title, value: row => node|text, sort?: API sort key, className? }].
 * paginate: the endpoint takes RabbitMQ's paging parameters; filterKey(row): text the filter matches
 * for endpoints that do not. rowKey(row): marks rows for tests and keeps the filter stable.
 */
export function listView({
  path,
  columns,
  paginate = false,
  filterKey = (r) => r.name ?? '',
  empty = 'Nothing to show',
  sort,
  rowKey = (r) => r.name,
}) {
  const q = { page: 1, pageSize: 100, name: '', regex: false, sort, reverse: false }
  const status = statusBox()
  const summary = h('span', { class: 'summary' })
  const pager = h('span', { class: 'pager' })
  const filter = h('input', {
    type: 'search',
    placeholder: 'Filter by name',
    class: 'filter',
    'aria-label': 'Filter',
  })
  const regex = h('input', { type: 'checkbox' })
  const head = h('thead')
  const body = h('tbody')
  const el = h(
    'div',
    { class: 'list-view' },
    h(
      'div',
      { class: 'list-controls' },
      filter,
      h('label', { class: 'inline' }, regex, 'Regex'),
      summary,
      pager,
    ),
    status.el,
    h('table', { class: 'list' }, head, body),
  )
  let timer
  filter.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(() => ((q.name = filter.value), (q.page = 1), refresh()), 250)
  })
  regex.addEventListener('change', () => ((q.regex = regex.checked), (q.page = 1), refresh()))

  const renderHead = () =>
    replace(
      head,
      h(
        'tr',
        {},
        columns.map((c) => {
          if (!c.sort) return h('th', { class: c.className }, c.title)
          const mark = q.sort === c.sort ? (q.reverse ? ' ▾' : ' ▴') : ''
          const onclick = () => {
            q.reverse = q.sort === c.sort ? !q.reverse : false
            q.sort = c.sort
            refresh()
          }
          return h(
            'th',
            { class: `${c.className ?? ''} sortable` },
            h('button', { type: 'button', onclick }, c.title + mark),
          )
        }),
      ),
    )

  async function refresh() {
    renderHead()
    let reply
    try {
      reply = await api('GET', path() + queryString())
      status.clear()
    } catch (err) {
      // The page went away (objects deleted since): start again from the first.
      if (err.status === 400 && q.page > 1) return ((q.page = 1), refresh())
      status.error(err)
      return
    }
    let rows = itemsOf(reply)
    // Lists the API does not page (or per-vhost ones that ignore paging) are filtered here.
    if (Array.isArray(reply) && q.name) rows = rows.filter(matcher())
    renderRows(rows)
    renderSummary(reply, rows)
  }

  function queryString() {
    const p = new URLSearchParams()
    if (paginate) {
      p.set('page', String(q.page))
      p.set('page_size', String(q.pageSize))
      if (q.name) p.set('name', q.name)
      if (q.name && q.regex) p.set('use_regex', 'true')
    }
    if (q.sort) p.set('sort', q.sort)
    if (q.sort && q.reverse) p.set('sort_reverse', 'true')
    const s = p.toString()
    return s ? `?${s}` : ''
  }

  function matcher() {
    if (!q.regex) return (r) => filterKey(r).toLowerCase().includes(q.name.toLowerCase())
    try {
      const re = new RegExp(q.name)
      return (r) => re.test(filterKey(r))
    } catch {
      return () => true
    }
  }

  function renderRows(rows) {
    if (rows.length === 0) {
      replace(
        body,
        h(
          'tr',
          {},
          h('td', { class: 'empty', colspan: columns.length }, q.name ? 'No items match the filter' : empty),
        ),
      )
      return
    }
    replace(
      body,
      rows.map((r) =>
        h(
          'tr',
          { dataset: { key: String(rowKey(r) ?? '') } },
          columns.map((c) => h('td', { class: c.className }, c.value(r))),
        ),
      ),
    )
  }

  function renderSummary(reply, rows) {
    if (!paginate || Array.isArray(reply)) {
      replace(summary, `${rows.length} item${rows.length === 1 ? '' : 's'}`)
      replace(pager)
      return
    }
    const filtered = reply.filtered_count !== reply.total_count ? ` (filtered from ${reply.total_count})` : ''
    replace(summary, `${reply.filtered_count} item${reply.filtered_count === 1 ? '' : 's'}${filtered}`)
    const go = (page) => () => ((q.page = page), refresh())
    const size = h(
      'select',
      { 'aria-label': 'Page size' },
      PAGE_SIZES.map((n) => h('option', { value: n, selected: n === q.pageSize }, `${n} per page`)),
    )
    size.addEventListener('change', () => ((q.pageSize = Number(size.value)), (q.page = 1), refresh()))
    const pages = Math.max(1, reply.page_count)
    replace(
      pager,
      h('button', { type: 'button', disabled: q.page <= 1, onclick: go(q.page - 1) }, '‹'),
      ` Page ${q.page} of ${pages} `,
      h('button', { type: 'button', disabled: q.page >= pages, onclick: go(q.page + 1) }, '›'),
      size,
    )
  }

  return { el, refresh }
}
