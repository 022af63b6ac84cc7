"""docker-compose.yml and the Dockerfile, read (no Docker engine here): object storage, nothing
shared on disk between the API and the workers, worker profiles for other machines, and a train
worker on an image of its own with the CPU build of PyTorch."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

from ocr_service.config import Settings
from ocr_service.training.memory import TRAINING_MALLOC_TUNABLES
from ocr_service.training.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
SOHOA_SERVICES = ("api", "worker", "remote-worker", "train-worker", "remote-train-worker")
WORKERS = ("worker", "remote-worker", "train-worker", "remote-train-worker")
TRAIN_WORKERS = ("train-worker", "remote-train-worker")
PROFILED = {"remote-worker", "remote-train-worker"}
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What a worker on another machine is given (docs/DEPLOYMENT.md).
WORKER_NEEDS = {
    "SOHOA_DATABASE_URL",
    "SOHOA_REDIS_URL",
    "SOHOA_STORAGE_URL",
    "SOHOA_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
}


def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return doc


def named_volumes(service: dict[str, Any]) -> set[str]:
    return {
        str(v).split(":", 1)[0]
        for v in service.get("volumes", [])
        if not str(v).startswith(("/", "."))
    }


def interpolate(value: str) -> str:
    """${VAR:-default} and ${VAR:?message} as compose reads them with nothing set."""
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "set", value)


def test_the_api_and_workers_use_the_object_store_and_share_no_volume() -> None:
    services = compose()["services"]
    assert "minio" in services and named_volumes(services["minio"]) == {"minio-data"}
    for name in SOHOA_SERVICES:
        env = services[name]["environment"]
        assert set(env) >= WORKER_NEEDS, name
    api_env = {k: interpolate(str(v)) for k, v in services["api"]["environment"].items()}
    settings = Settings(
        environment="test",
        storage_url=api_env["SOHOA_STORAGE_URL"],
        s3_endpoint_url=api_env["SOHOA_S3_ENDPOINT_URL"],
    )
    assert settings.storage_target().scheme == "s3"
    assert services["worker"]["environment"] is services["api"]["environment"]
    for worker in WORKERS:
        assert named_volumes(services[worker]) == set()
        assert named_volumes(services[worker]) & named_volumes(services["api"]) == set()


def test_every_named_volume_is_declared_and_the_bucket_is_made_first() -> None:
    doc = compose()
    used = set().union(*(named_volumes(s) for s in doc["services"].values()))
    assert used == set(doc["volumes"])
    api = doc["services"]["api"]
    assert api["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
    bucket = doc["services"]["minio-bucket"]
    assert bucket["depends_on"]["minio"]["condition"] == "service_healthy"


def test_remote_workers_are_a_profile_of_their_own() -> None:
    services = compose()["services"]
    remote = services["remote-worker"]
    assert remote["profiles"] == ["remote-worker"]
    assert services["remote-train-worker"]["profiles"] == ["remote-train-worker"]
    for name in PROFILED:
        assert "depends_on" not in services[name]  # nothing of the API machine runs beside it
    assert all("profiles" not in services[name] for name in set(services) - PROFILED)
    example = (ROOT / "deploy" / "worker.env.example").read_text()
    given = {
        line.split("=", 1)[0]
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert given >= WORKER_NEEDS


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def pip_install_args(extras: str) -> list[str]:
    """What the Dockerfile's `pip install` step runs with the build argument SOHOA_EXTRAS set
    to `extras`: its shell command run by sh with `pip` standing in, printing its arguments."""
    (step,) = [args for word, args in dockerfile_instructions() if word == "RUN" and "pip " in args]
    script = "pip() { printf '%s\\n' \"$@\"; }\n" + step
    run = subprocess.run(
        ["sh", "-c", script],
        env={"SOHOA_EXTRAS": extras, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.splitlines()


def test_the_default_image_is_built_without_pytorch() -> None:
    (extras,) = [
        shlex.split(rest)[0].partition("=")
        for word, rest in dockerfile_instructions()
        if word == "ARG" and rest.startswith("SOHOA_EXTRAS")
    ]
    assert extras == ("SOHOA_EXTRAS", "=", "")  # empty unless a build asks
    assert pip_install_args("") == ["install", "--no-cache-dir", "."]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert not any(d.startswith("torch") for d in pyproject["project"]["dependencies"])
    assert pyproject["project"]["optional-dependencies"]["train"] == ["torch==2.13.0"]


def test_the_train_image_takes_pytorch_from_its_cpu_index() -> None:
    args = pip_install_args("train")
    assert args[-1] == ".[train]"
    assert args[args.index("--extra-index-url") + 1] == TORCH_CPU_INDEX
    assert "--no-cache-dir" in args


def test_the_train_worker_runs_the_train_queue_on_the_train_image() -> None:
    services = compose()["services"]
    api_env = services["api"]["environment"]
    train = services["train-worker"]
    assert train["command"] == ["sohoa", "worker", "--queue", "train"]
    assert train["build"]["args"]["SOHOA_EXTRAS"] == "train"
    assert train["image"] != services["api"]["image"]
    assert train["depends_on"] == services["worker"]["depends_on"]
    assert train["tmpfs"] == ["/data"]
    assert "deploy" not in train or train["deploy"].get("replicas", 1) == 1
    env = train["environment"]
    assert {k: v for k, v in env.items() if k in api_env} == api_env
    remote = services["remote-train-worker"]
    assert remote["command"] == train["command"]
    assert remote["image"] == train["image"]
    remote_env = services["remote-worker"]["environment"]
    assert {k: v for k, v in remote["environment"].items() if k in remote_env} == remote_env
    for name in TRAIN_WORKERS:
        env = services[name]["environment"]
        # The tesseract engine's OMP_THREAD_LIMIT=1 (and the image's) would hold PyTorch to one
        # thread (training.train.training_threads): the train workers get the threads they train on.
        assert int(env["OMP_THREAD_LIMIT"]) >= TrainConfig().threads >= 2, name
        assert TRAINING_MALLOC_TUNABLES in str(env["GLIBC_TUNABLES"]).split(":"), name
