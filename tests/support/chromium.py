"""Headless Debian Chromium through Selenium, with a fresh profile and a fresh NSS database (the certificate
store Chromium reads on Linux, under ``$HOME``) that trusts the CA given, if any."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

TOOLS = ("chromium", "chromedriver", "certutil")  # scripts/ensure-chromium installs them
# As python-svc.md says Chromium runs here: without the background networking, nothing leaves loopback.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1100,1400",
)


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        return f"{', '.join(absent)} not installed (scripts/ensure-chromium)"
    return None


def _trusting_home(home: Path, ca_cert: Path | None) -> None:
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    if ca_cert is None:
        return
    database = f"sql:{nssdb}"
    subprocess.run(["certutil", "-d", database, "-N", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-d", database, "-A", "-t", "C,,", "-n", "todo-api throwaway CA", "-i", str(ca_cert)],
        check=True,
    )


@contextmanager
def headless_chromium(
    workdir: Path, *, trust: Path | None = None, network_log: bool = False
) -> Iterator[WebDriver]:
    """A new Chromium (profile, home and ChromeDriver log under ``workdir``) that trusts ``trust``'s CA; with
    ``network_log``, its DevTools network events are readable too (``driver.get_log("performance")``)."""
    home = workdir / "home"
    _trusting_home(home, trust)
    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for flag in (*FLAGS, f"--user-data-dir={workdir / 'profile'}"):
        options.add_argument(flag)
    # The console is readable (driver.get_log("browser")): a refused resource or CSP violation shows there.
    logs = {"browser": "ALL", "performance": "ALL"} if network_log else {"browser": "ALL"}
    options.set_capability("goog:loggingPrefs", logs)
    # With the driver's path given, Selenium Manager (which would look for downloads) is never run.
    service = Service(
        str(shutil.which("chromedriver")),
        env={**os.environ, "HOME": str(home)},
        log_output=str(workdir / "chromedriver.log"),
    )
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
