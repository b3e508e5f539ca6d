"""Errors a user can fix: the command line prints the message and exits non-zero, no traceback."""


class UserError(Exception):
    """A problem with the user's input, with a message naming file, sheet, column, row and the fix."""
