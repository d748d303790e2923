"""The environment variables a function's process has in Lambda."""

from __future__ import annotations

import os
from collections.abc import Mapping

from devtools.lambda_kit.context import REGION


def lambda_environment(service: str, settings: Mapping[str, str]) -> dict[str, str]:
    """What Lambda and template.yaml's Globals give ``service``'s function (X-Ray left out, see below),
    then ``settings``: the caller's own, which win."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_FUNCTION_NAME": f"{service}-function",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        # Set in every Lambda container; the X-Ray SDK reads it to use Lambda's sampling instead of creating
        # botocore clients for centralised sampling at import (about 100 ms here without it).
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "ENVIRONMENT": "production",
        "POWERTOOLS_SERVICE_NAME": service,
        # X-Ray needs the Lambda runtime's daemon and trace header; its cost is not measured here.
        "POWERTOOLS_TRACE_DISABLED": "true",
        **settings,
    }
