"""The one error type of the emulator."""


class ApiError(Exception):
    """An API error, answered as ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``."""

    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.message = message


def raise_if(error):
    """Raise ``error`` unless it is None (precondition helpers return errors, actions raise them)."""
    if error is not None:
        raise error
