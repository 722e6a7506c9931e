"""The one exception business rules raise when they refuse a change: its text is the
answer for the group (the dispatcher posts it), never a stack trace."""


class RuleError(Exception):
    """A change the rules forbid; str(exc) says why, in Chinese, for the sender."""
