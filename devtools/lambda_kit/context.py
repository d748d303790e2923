"""What Lambda sets up around a handler: the context object it passes, and the import path.

Standard library only, and nothing imported at the top: the isolated interpreters (``python -I -S``) load
this file by its path before the function's code, and the cold-start worker measures them.
"""

import sys

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


class FakeLambdaContext:
    """The attributes Powertools and Mangum read from the Lambda context; ARN and log group as Lambda
    derives them from the function's name."""

    function_version = "$LATEST"
    memory_limit_in_mb = 1024

    def __init__(
        self,
        function_name: str = "local-function",
        *,
        aws_request_id: str | None = None,
        log_stream_name: str = "local",
        timeout_ms: int = 15_000,
    ) -> None:
        import time  # here, not at the top (see the module's docstring)

        self._clock = time.monotonic
        self._ends_at = (
            time.monotonic() + timeout_ms / 1000
        )  # the invocation's time runs from here, as in Lambda
        self.function_name = function_name
        self.aws_request_id = aws_request_id or _new_request_id()
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends_at - self._clock()) * 1000))


def _new_request_id() -> str:
    import uuid  # only when no id is given: the isolated callers give one and stay free of the import

    return str(uuid.uuid4())


def use_lambda_path(function_dir: str, layer_dir: str, runtime_dir: str) -> None:
    """``sys.path`` in Lambda's order: the function (/var/task), the layer (/opt/python), the standard
    library, then the runtime's own packages (/var/runtime)."""
    sys.path[:0] = [function_dir, layer_dir]
    sys.path.append(runtime_dir)
