// Hash routes: '#/queues/%2F/orders' → queues.js's queuePage(main, '/', 'orders'). Each page mounts
// itself into <main> and returns { title, refresh, destroy }.
import { channelPage, channelsPage } from './pages/channels.js'
import { connectionPage, connectionsPage } from './pages/connections.js'
import { definitionsPage } from './pages/definitions.js'
import { exchangePage, exchangesPage } from './pages/exchanges.js'
import { nodePage } from './pages/nodes.js'
import { overviewPage } from './pages/overview.js'
import { permissionsPage } from './pages/permissions.js'
import { policiesPage } from './pages/policies.js'
import { queuePage, queuesPage } from './pages/queues.js'
import { userPage, usersPage } from './pages/users.js'
import { vhostPage, vhostsPage } from './pages/vhosts.js'

const SEG = '([^/]+)'

export const routes = [
  { path: /^$/, tab: 'overview', mount: overviewPage },
  { path: new RegExp(`^nodes/${SEG}$`), tab: 'overview', mount: nodePage },
  { path: /^connections$/, tab: 'connections', mount: connectionsPage },
  { path: new RegExp(`^connections/${SEG}$`), tab: 'connections', mount: connectionPage },
  { path: /^channels$/, tab: 'channels', mount: channelsPage },
  { path: new RegExp(`^channels/${SEG}$`), tab: 'channels', mount: channelPage },
  { path: /^exchanges$/, tab: 'exchanges', mount: exchangesPage },
  { path: new RegExp(`^exchanges/${SEG}/${SEG}$`), tab: 'exchanges', mount: exchangePage },
  { path: /^queues$/, tab: 'queues', mount: queuesPage },
  { path: new RegExp(`^queues/${SEG}/${SEG}$`), tab: 'queues', mount: queuePage },
  { path: /^admin\/users$/, tab: 'admin', mount: usersPage },
  { path: new RegExp(`^admin/users/${SEG}$`), tab: 'admin', mount: userPage },
  { path: /^admin\/vhosts$/, tab: 'admin', mount: vhostsPage },
  { path: new RegExp(`^admin/vhosts/${SEG}$`), tab: 'admin', mount: vhostPage },
  { path: /^admin\/permissions$/, tab: 'admin', mount: permissionsPage },
  { path: /^admin\/policies$/, tab: 'admin', mount: policiesPage },
  { path: /^admin\/definitions$/, tab: 'admin', mount: definitionsPage },
]
