#!/bin/sh
# Records uWSGI 2.0.21's Emperor hook lines (test/fixtures/emperor-hooks/): an Emperor with every
# Emperor hook set runs a python3 vassal that has emperor-reload/-stop hooks; the vassal file is
# touched (reload), then removed (stop), then the Emperor gets SIGINT. Then an Emperor whose
# emperor-start hook fails. Needs uwsgi-core + uwsgi-plugin-python3.
set -u
OUT=$(realpath "${1:-test/fixtures/emperor-hooks}")
T=$(mktemp -d)
mkdir "$T/v"
printf 'def application(e, s):\n    s("200 OK", []); return [b"hi"]\n' > "$T/app.py"
printf '#!/bin/sh\necho "HOOK args=[$*] cwd=$(pwd) UWSGI_VASSALS_DIR=$UWSGI_VASSALS_DIR"\n' > "$T/hook.sh"
chmod +x "$T/hook.sh"
cat > "$T/v/a.ini" <<INI
[uwsgi]
plugin = python3
wsgi-file = $T/app.py
socket = $T/a.sock
hook-emperor-stop = print:VSTOP
hook-emperor-reload = print:VRELOAD
hook-emperor-lost = print:VLOST
INI
cd "$T"
uwsgi --emperor "$T/v" --hook-emperor-start print:ESTART --hook-as-vassal print:ASV \
  --hook-as-vassal putenv:FOO=bar --exec-as-vassal 'echo ASVX FOO=$FOO' --hook-as-emperor print:ASE \
  --exec-as-emperor 'echo ASEX $UWSGI_VASSAL_CONFIG' --vassals-start-hook "$T/hook.sh" \
  --vassals-stop-hook "$T/hook.sh" > "$T/log" 2>&1 &
E=$!
sleep 5; touch "$T/v/a.ini"; sleep 5; rm "$T/v/a.ini"; sleep 4; kill -INT $E; wait $E
grep -E '^running|^(ESTART|ASV|ASVX|ASE|ASEX|VSTOP|VRELOAD|VLOST|HOOK)|^command|start-hook|stop-hook|\[emperor\]|received message' "$T/log" \
  | sed -e "s#$T#TMP#g" -e 's/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9]* [0-9:]* [0-9]* - //' -e 's/pid: [0-9]*/pid: N/' > "$OUT/uwsgi-2.0.21-emperor-hooks.txt"
uwsgi --emperor "$T/v" --hook-emperor-start 'exec:exit 3' > "$T/log2" 2>&1
echo "exit status: $?" >> "$T/log2"
grep -E '^running|FATAL|exit status|exited' "$T/log2" | sed -e 's/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9]* [0-9:]* [0-9]* - //' > "$OUT/uwsgi-2.0.21-emperor-start-fails.txt"
rm -rf "$T"
