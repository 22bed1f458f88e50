// The fastrouter role (src/gateway/fastrouter/): `fastrouter = ADDR` runs `fastrouter-processes`
// processes that route uwsgi requests by key (seed manual "The uWSGI FastRouter").

import { coreRouterRole } from './corerouter-role.js';

export const fastrouterRole = coreRouterRole('fastrouter');
