"""WSGI entry for several workers: `gunicorn -w 4 --preload -b 0.0.0.0:8000 bot.wsgi:app`.

Workers serve HTTP only; run the scheduled work in one place (`python -m bot serve` with
the scheduler on, or `python -m bot tick` from cron every minute). The classifier is
loaded here, so with `--preload` it is loaded once in the master and shared by the
workers; the master's database connections are closed before the workers fork (each
worker opens its own).
"""

from bot import create_app

app = create_app()
app.extensions["linli"].warm()
app.extensions["linli"].engine.dispose()
