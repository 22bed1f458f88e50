# The Python side of uwsgi-ts: one process serves one WSGI request at a time for its JS worker
# (README "Python (WSGI)"). channel.py is the wire, wsgi.py the PEP 3333 part, child.py the loop.
