"""docker-compose.yml, read (no Docker engine here): object storage, nothing shared on disk
between the API and the workers, and a worker profile for other machines."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ocr_service.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SOHOA_SERVICES = ("api", "worker", "remote-worker")
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
    for worker in ("worker", "remote-worker"):
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
    assert "depends_on" not in remote  # nothing of the API machine runs beside it
    assert all("profiles" not in services[name] for name in services if name != "remote-worker")
    example = (ROOT / "deploy" / "worker.env.example").read_text()
    given = {
        line.split("=", 1)[0]
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert given >= WORKER_NEEDS
