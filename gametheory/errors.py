"""Errors a user can cause. The CLI prints ``str(error)`` on one line and exits with code 2;
any other exception escaping the CLI is a bug."""


class GameError(Exception):
    """Base class of every user-caused error in gametheory and neural."""


class ParseError(GameError):
    """A user string (loss, point, constant) is not an allowed expression."""


class GameFileError(GameError):
    """A game file is missing, unreadable or inconsistent."""


class UnknownGameError(GameError):
    """No built-in game and no file of that name."""


class PointError(GameError):
    """A point is malformed, incomplete, or not stationary where a stationary one is required."""


class OptionError(GameError):
    """An option value is out of its allowed range."""
