"""Scheduled work: plain due-work functions that take `now`, the tick that runs them
all once, and the APScheduler wiring that calls the tick every minute."""
