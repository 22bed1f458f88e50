# Entry point of a Python mule (`mule = script.py`): src/mule/python-mule.ts runs `python3 <this
# file>` from a mule process, which answers the script's `uwsgi` module calls (fd 4) and hands it
# signals and mule messages (fd 6, uwsgi_ts/events.py). The script runs as __main__, as uWSGI runs
# it; when it returns the mule ends and the master starts it again, as uWSGI respawns it.
from uwsgi_ts.mule import main

if __name__ == '__main__':
    main()
