// The rawrouter role (src/gateway/rawrouter/): `rawrouter = ADDR` runs `rawrouter-processes`
// plain TCP proxies (seed manual "scaling SSL"), and the sslrouter, the same with TLS in front.

import { coreRouterRole } from './corerouter-role.js';

export const rawrouterRole = coreRouterRole('rawrouter');
export const sslrouterRole = coreRouterRole('sslrouter');
