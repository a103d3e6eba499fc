"""deploy/: the instance file runs on a real PostgreSQL, and the files agree on ports, names and secrets."""

import re
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.run_coordinator import QueuedRunCoordinator

from media_assets.lib.naming import APIS
from media_assets.lib.postgres import ENV
from media_assets.lib.settings import env_name

from .helpers import ROOT
from .helpers import postgres as pg

DEPLOY = ROOT / "deploy"
CODE_SERVER_PORT = 4000


def load(name: str) -> list[dict]:
    return list(yaml.safe_load_all((DEPLOY / name).read_text()))


def test_instance_yaml_runs_on_postgres_with_a_queue_and_one_duckdb_slot(
    tmp_path: Path, postgres: pg.Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy/dagster.yaml opens a real instance on PostgreSQL, from the environment, queued and capped."""
    url = postgres.create_database("dagster_instance")
    monkeypatch.setenv("DAGSTER_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(postgres.port))
    monkeypatch.setenv("DAGSTER_PG_DB", url.rsplit("/", 1)[1])
    monkeypatch.setenv("DAGSTER_PG_USERNAME", pg.ROLE)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", postgres.password)
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 8
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert instance.get_runs() == []
    assert postgres.password not in (tmp_path / "dagster.yaml").read_text()


def test_every_file_names_the_same_code_server() -> None:
    """The workspace, the image and the Helm values agree on the code server's port and module."""
    (workspace,) = load("workspace.yaml")
    server = workspace["load_from"][0]["grpc_server"]
    assert (server["port"], server["location_name"]) == (CODE_SERVER_PORT, "media_assets")
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert f"EXPOSE {CODE_SERVER_PORT}" in dockerfile
    assert f'"-p", "{CODE_SERVER_PORT}", "-m", "media_assets.definitions"' in dockerfile
    (values,) = load("helm/values.yaml")
    (user_code,) = values["dagster-user-deployments"]["deployments"]
    assert user_code["port"] == CODE_SERVER_PORT
    assert user_code["dagsterApiGrpcArgs"] == ["-m", "media_assets.definitions"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False
    (instance,) = load("dagster.yaml")
    scheme = instance["storage"]["postgres"]["postgres_db"]["scheme"]
    assert values["postgresql"]["postgresqlScheme"] == scheme == "postgresql+psycopg2"


def test_the_image_installs_as_ci_does() -> None:
    """The Dockerfile's install is .ci/run's, with the image's extra in place of the tests' one."""
    ci = (ROOT / ".ci" / "run").read_text()
    install = re.search(r'python3 -m venv \.venv && \.venv/bin/pip install -q -e "\.\[(\w+)\]"', ci)
    assert install and install.group(1) == "test"
    assert install.group(0).replace("[test]", "[deploy]") in (DEPLOY / "Dockerfile").read_text()


def test_kubernetes_secrets_carry_the_settings_the_code_reads() -> None:
    """Each key of the example secret is an environment variable the location reads, and the Helm
    values and the receiver take that secret."""
    documents = load("k8s/secrets.example.yaml")
    keys = set(next(d for d in documents if d["metadata"]["name"] == "media-assets-secrets")["stringData"])
    expected = {f"SOURCES__{api.source.upper()}__API_KEY" for api in APIS}
    assert keys == expected | {ENV, env_name("callback_token")}
    (values,) = load("helm/values.yaml")
    (user_code,) = values["dagster-user-deployments"]["deployments"]
    assert user_code["envSecrets"] == [{"name": "media-assets-secrets"}]
    assert values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == [
        {"name": "media-assets-secrets"}
    ]
    deployment = next(d for d in load("k8s/webhook-receiver.yaml") if d["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "media-assets-secrets"}}]
    settings = {env_name("warehouse"): "postgres", env_name("inbox"): "table"}
    assert {e["name"]: e["value"] for e in user_code["env"]} == settings
    assert {e["name"]: e["value"] for e in container["env"]} == settings
