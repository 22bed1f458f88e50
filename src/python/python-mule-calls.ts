// The `uwsgi` module's mule calls from Python (python/uwsgi_ts/mules.py), on the app API's mule
// functions (src/api/mule.ts): a Python worker's mule_msg() reaches a JS or Python mule, a Python
// mule's mule_get_msg() takes what a JS or Python worker sent.

import { farmMsg, muleGetMsg, muleId, muleMsg } from '../api/mule.js';
import { muleInbox } from '../mule/mule-inbox.js';
import { answerBytes, answerInt, FALSE, intArg, NONE, TRUE } from './python-answers.js';
import type { Call } from './python-api.js';

export const MULE_CALLS: Readonly<Record<string, Call>> = {
  mule_id: () => answerInt(muleId()),
  mule_msg: ([message, id]) => (muleMsg(message ?? Buffer.alloc(0), intArg(id, 0)) ? TRUE : FALSE),
  farm_msg: ([farm, message]) => {
    farmMsg(farm?.toString('utf8') ?? '', message ?? Buffer.alloc(0));
    return NONE;
  },
};

/** The mule calls that wait (on the events channel, python-events.ts). */
export const MULE_WAITS: Readonly<Record<string, (args: readonly Buffer[]) => Promise<Buffer>>> = {
  // timeout in seconds, < 0 none (uWSGI's mule_get_msg(timeout=-1)); None when it passed
  mule_get_msg: async ([timeout]) => {
    const seconds = intArg(timeout, -1);
    if (seconds < 0) return answerBytes(await muleGetMsg());
    // muleGetMsg() checks that this is a mule; the inbox then gives up after the timeout
    if (muleId() === 0) await muleGetMsg();
    const message = await muleInbox.getWithin(seconds * 1000);
    return message === undefined ? NONE : answerBytes(message);
  },
};
