# uwsgidecorators' signal decorators: signal, timer, rbtimer, cron, filemon (uWSGI's
# uwsgidecorators module documents them; written here from that contract). Without `signum` a
# decorator takes the lowest number this process has not registered yet, so every Python process
# importing the app picks the same numbers.
import uwsgi


def free_signal():
    for num in range(256):
        if not uwsgi.signal_registered(num):
            return num
    raise Exception('No free uwsgi signal available')


class _Registering:
    def __init__(self, target='', signum=None):
        self.target = target
        self.num = free_signal() if signum is None else signum

    def add(self):
        """What runs the signal (a timer, a cron entry...); nothing for a plain handler."""

    def __call__(self, fn):
        uwsgi.register_signal(self.num, self.target, fn)
        self.add()
        return fn


class signal(_Registering):
    """@signal(num, target='') registers the function as the handler of signal num."""

    def __init__(self, num, **kwargs):
        super().__init__(kwargs.get('target', ''), num)


class timer(_Registering):
    """@timer(seconds, target='', signum=None): the function runs every `seconds`."""

    def __init__(self, secs, **kwargs):
        self.secs = secs
        super().__init__(kwargs.get('target', ''), kwargs.get('signum'))

    def add(self):
        uwsgi.add_timer(self.num, self.secs)


class rbtimer(timer):
    """@rbtimer(seconds, target='', signum=None): the same through uWSGI's rb timers."""

    def add(self):
        uwsgi.add_rb_timer(self.num, self.secs)


class cron(_Registering):
    """@cron(minute, hour, day, month, weekday, target='', signum=None): uWSGI's cron fields (-1 any, -N every N)."""

    def __init__(self, minute, hour, day, month, dayweek, **kwargs):
        self.fields = (minute, hour, day, month, dayweek)
        super().__init__(kwargs.get('target', ''), kwargs.get('signum'))

    def add(self):
        uwsgi.add_cron(self.num, *self.fields)


class filemon(_Registering):
    """@filemon(path, target='', signum=None): the function runs when the file or directory changes."""

    def __init__(self, fsobj, **kwargs):
        self.fsobj = fsobj
        super().__init__(kwargs.get('target', ''), kwargs.get('signum'))

    def add(self):
        uwsgi.add_file_monitor(self.num, self.fsobj)
