// The master's roles, in the order they start (the mules after the workers, as uWSGI spawns them)
// and are reloaded. Adding a kind of child (a gateway, a spooler, a daemon) is a row here and its
// file in src/master/roles/; the supervisor and the master do not change.

import { daemonsRole } from './roles/daemons.js';
import { fastrouterRole } from './roles/fastrouter.js';
import { httpRouterRole } from './roles/http-router.js';
import { mulesRole } from './roles/mules.js';
import { rawrouterRole, sslrouterRole } from './roles/rawrouter.js';
import type { RoleRow } from './roles/role-row.js';
import { spoolersRole } from './roles/spoolers.js';
import { workersRole } from './roles/workers.js';

// the HTTP router after the workers: its first requests find them serving
export const ROLES: readonly RoleRow[] = [
  workersRole,
  mulesRole,
  spoolersRole,
  daemonsRole,
  httpRouterRole,
  fastrouterRole,
  rawrouterRole,
  sslrouterRole,
];
