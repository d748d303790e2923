"""What reading the two secrets costs a cold container, per reader: Powertools Parameters (boto3) or the
Parameters and Secrets Lambda Extension (standard-library HTTP on localhost).

    .venv/bin/python -m bench.secrets_readers [--rounds 15]

Each sample is a fresh interpreter that first imports the tasks function (Lambda's init: what is imported
there is paid either way), then times ``get_settings()``, which reads DATABASE_URL from Secrets Manager and
BETTER_AUTH_SECRET from SSM. Both readers ask the same moto server: Powertools directly (AWS_ENDPOINT_URL),
the extension reader through the stand-in of the extension (devtools/secrets_extension_standin.py), whose own
call to moto stands for the extension's call to AWS. Rounds alternate the readers. Printed: median, spread
and what each process had imported. The figure and the decision are in docs/adr/0010-secrets-as-references.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

import boto3

from bench.run import moto_server
from devtools.secrets_extension_standin import extension_standin

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
TOKEN = "bench-session-token"  # noqa: S105 (the stand-in's throwaway token)
SECRET = secrets.token_urlsafe(48)  # a throwaway key, random: production refuses guessable ones
DATABASE_URL = "postgresql://bench:bench@127.0.0.1:6432/bench"
WORKER = """
import json, sys, time
from devtools.functions import load_function
load_function("tasks")
from todo_shared.config.settings import get_settings
before = set(sys.modules)
started = time.perf_counter()
settings = get_settings()
elapsed = time.perf_counter() - started
assert settings.better_auth_secret and settings.database_url
new = sorted({name.split(".")[0] for name in set(sys.modules) - before})
print(json.dumps({"ms": elapsed * 1000, "new_top_level_modules": new}))
"""


def _sample(env: dict[str, str]) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", WORKER],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    if completed.returncode != 0:
        raise SystemExit(completed.stderr[-2000:])
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds

    server, options = moto_server()
    endpoint = options["endpoint_url"]
    secretsmanager = boto3.client("secretsmanager", **options)
    ssm = boto3.client("ssm", **options)
    arn = secretsmanager.create_secret(Name="bench/db", SecretString=DATABASE_URL)["ARN"]
    ssm.put_parameter(Name="/bench/auth-secret", Value=SECRET, Type="SecureString")
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DATABASE_", "BETTER_AUTH_", "SECRETS_", "POWERTOOLS_"))
    }
    base.update(
        {
            "ENVIRONMENT": "production",
            "AWS_LAMBDA_FUNCTION_NAME": "bench-tasks",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_SESSION_TOKEN": TOKEN,
            "DATABASE_URL_REF": arn,
            "BETTER_AUTH_SECRET_REF": f"arn:aws:ssm:{REGION}:123456789012:parameter/bench/auth-secret",
            "BCRYPT_ROUNDS": "10",
            "POWERTOOLS_SERVICE_NAME": "tasks",
            "POWERTOOLS_METRICS_NAMESPACE": "TodoApiBench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "FRONTEND_URL": "http://localhost:3000",
        }
    )
    samples: dict[str, list[float]] = {"powertools": [], "extension": []}
    imported: dict[str, list[str]] = {}
    try:
        with extension_standin(secretsmanager=secretsmanager, ssm=ssm, token=TOKEN) as standin:
            envs = {
                "powertools": {**base, "SECRETS_READER": "powertools", "AWS_ENDPOINT_URL": endpoint},
                "extension": {
                    **base,
                    "SECRETS_READER": "extension",
                    "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(standin.port),
                },
            }
            for env in envs.values():  # one unmeasured process each: bytecode caches written
                _sample(env)
            for _ in range(rounds):
                for reader, env in envs.items():
                    result = _sample(env)
                    samples[reader].append(float(str(result["ms"])))
                    imported[reader] = [str(name) for name in result["new_top_level_modules"]]  # type: ignore[attr-defined]
    finally:
        server.stop()
    for reader, values in samples.items():
        ordered = sorted(values)
        print(
            f"{reader:>10}: median {statistics.median(values):6.1f} ms, min {ordered[0]:6.1f}, "
            f"max {ordered[-1]:6.1f} over {len(values)} fresh processes; new modules from: "
            f"{', '.join(imported[reader]) or 'nothing'}"
        )
    saved = statistics.median(samples["powertools"]) - statistics.median(samples["extension"])
    print(f"the extension reader saves {saved:.1f} ms of the first request's settings read")


if __name__ == "__main__":
    main()
