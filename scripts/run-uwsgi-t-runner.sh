#!/usr/bin/env bash
# Runs unbit/uwsgi's own integration tests (t/runner) with uwsgi-ts as the server (issue 14).
# Needs a checkout of unbit/uwsgi (not part of this repository: nothing of it is committed) and
# Debian's python3-requests. Usage: scripts/run-uwsgi-t-runner.sh /path/to/uwsgi-checkout
# Only the cases of what uwsgi-ts serves run: python (hello, mountpoints), cgi, static.
set -euo pipefail
checkout="${1:?usage: $0 /path/to/unbit-uwsgi-checkout}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
wrapper="$(mktemp)"
trap 'rm -f "$wrapper"' EXIT
printf '#!/bin/sh\nexec node %q "$@"\n' "$repo/bin/uwsgi-ts.js" > "$wrapper"
chmod +x "$wrapper"
cd "$checkout"
# Debian's python3 (with python3-requests) first: the pyenv python3 of some machines has neither
PATH="/usr/bin:$PATH" UWSGI_BINARY="$wrapper" UWSGI_PLUGINS_TEST="python cgi" /usr/bin/python3 t/runner -v
