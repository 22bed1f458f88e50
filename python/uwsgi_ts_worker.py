# Entry point of a uwsgi-ts Python process: the JS worker runs `python3 <this file>`, so this
# directory (holding the `uwsgi` and `uwsgidecorators` modules) is sys.path[0] with nothing
# installed. Everything else lives in the uwsgi_ts package.
from uwsgi_ts.child import main

if __name__ == '__main__':
    main()
