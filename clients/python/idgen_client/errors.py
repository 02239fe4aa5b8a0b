"""The one exception type of the idgen Python client."""


class IdgenError(Exception):
    """A failed call, or arguments refused before any call was made.

    Attributes:
        code: the gRPC status code name, e.g. ``"UNAVAILABLE"``,
            ``"DEADLINE_EXCEEDED"``, ``"INVALID_ARGUMENT"``.
        message: what the node (or the client, for local refusals) said.

    Arguments refused locally (a count of 0, a negative id, ...) carry
    ``INVALID_ARGUMENT``, the same code the node would answer with.
    """

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def invalid_argument(message):
    return IdgenError("INVALID_ARGUMENT", message)
