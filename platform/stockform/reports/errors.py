"""What a report refuses: a parameter that does not fit, named, with the reason."""

from __future__ import annotations


class ReportError(ValueError):
    """A report parameter that cannot be used: `parameter` names it, `message` says why."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter, self.message = parameter, message
        super().__init__(f"{parameter}: {message}")
