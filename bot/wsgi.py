"""WSGI entry for several workers: `gunicorn -w 4 -b 0.0.0.0:8000 bot.wsgi:app`.

Workers serve HTTP only; run the scheduled work in one place (`python -m bot serve` with
the scheduler on, or `python -m bot tick` from cron every minute).
"""

from bot import create_app

app = create_app()
