"""Shared fixtures: the nninit CLI binary (the contract is that the package
gives the CLI's bytes), built by cargo when it is not there yet."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def cli():
    exe = os.environ.get("NNINIT_BIN") or str(ROOT / "target" / "release" / "nninit")
    if not os.path.exists(exe):
        subprocess.run(
            ["cargo", "build", "--release", "-q", "-p", "nninit-cli"], cwd=ROOT, check=True, timeout=1800
        )
    return exe
