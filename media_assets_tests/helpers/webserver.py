"""Test helper: a real dagster-webserver (or `dagster dev`) subprocess and its GraphQL API."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests
import uvicorn
import yaml

from media_assets.local.receiver import CALLBACK_PATH, build_callbacks_app

from . import ROOT
from .processes import stop_group

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
RUN_STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
REPOSITORIES = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }"
RUN_EVENTS = """
query Events($id: ID!) {
  logsForRun(runId: $id) {
    ... on EventConnection { events { ... on MessageEvent { eventType stepKey message } } }
  }
}"""
# the test instance's monitoring daemon looks every second, and frees an ended run's slots a second on
FAST_MONITORING = {"poll_interval_seconds": 1, "free_slots_after_run_end_seconds": 1}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def instance_home(path: Path, coordinator: str = "DefaultRunCoordinator") -> Path:
    """A DAGSTER_HOME like the repo's, with the run coordinator the test needs and quick monitoring."""
    path.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text())
    config["run_coordinator"] = {"module": "dagster._core.run_coordinator", "class": coordinator}
    config["run_monitoring"] = {**config["run_monitoring"], **FAST_MONITORING}
    (path / "dagster.yaml").write_text(yaml.safe_dump(config))
    return path


class GraphQL:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, query: str, **variables: object) -> dict:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def launch(
        self, asset_paths: Sequence[Sequence[str]], run_config: dict | None = None, checks: bool = True
    ) -> str:
        """Launch a run of those assets, with their checks unless `checks` is False; returns its id."""
        selector = {
            "repositoryLocationName": "media_assets",
            "repositoryName": "__repository__",
            "pipelineName": "__ASSET_JOB",
            "assetSelection": [{"path": list(p)} for p in asset_paths],
        }
        params = {
            "selector": selector if checks else {**selector, "assetCheckSelection": []},
            "runConfigData": run_config or {},
            "mode": "default",
        }
        launched = self(LAUNCH, params=params)["launchPipelineExecution"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def status(self, run_id: str) -> str:
        return self(RUN_STATUS, id=run_id)["runOrError"]["status"]

    def events(self, run_id: str) -> list[dict]:
        """The run's message events so far: eventType, stepKey and message."""
        return [e for e in self(RUN_EVENTS, id=run_id)["logsForRun"]["events"] if e]

    def wait_for_event(self, run_id: str, wanted: Callable[[dict], bool], timeout: float = 120) -> dict:
        """The first event of a run that `wanted` accepts, polling until it is logged."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events(run_id) if wanted(e)]
            if found:
                return found[0]
            time.sleep(0.5)
        raise TimeoutError(f"run {run_id} logged no such event in {timeout}s")

    def wait_for_location(self, timeout: float = 180) -> None:
        """Until the code location is loaded: the webserver answers before a separate code server
        (or a location that fails to load) gives it any repository."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self(REPOSITORIES)["repositoriesOrError"].get("nodes"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"no code location loaded in {timeout}s; see the webserver's log")

    def wait_for_run(self, run_id: str, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(run_id)
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                return status
            time.sleep(0.5)
        raise TimeoutError(f"run {run_id} did not finish in {timeout}s")


@contextmanager
def serve_ui(
    command: Sequence[str], env: dict[str, str], log: Path, timeout: float = 180, workspace: bool = True
) -> Iterator[GraphQL]:
    """Start the UI process, wait until its GraphQL answers, and stop it with its children.

    With `workspace`, the process is told to load workspace.yaml, as `dagster dev` is in the README;
    without, it finds the project on its own, as `dg dev` does.
    """
    port = free_port()
    args = [*command, "-h", "127.0.0.1", "-p", str(port)]
    if workspace:
        args += ["-w", str(ROOT / "workspace.yaml")]
    with open(log, "w") as out:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                try:
                    if requests.get(f"{url}/server_info", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                time.sleep(0.5)
            else:
                raise TimeoutError(log.read_text())
            yield GraphQL(url)
        finally:
            stop_group(process)


def step_started(step: str) -> Callable[[dict], bool]:
    """Accepts the event of `step` starting."""
    return lambda event: event.get("eventType") == "STEP_START" and event.get("stepKey") == step


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@contextmanager
def receiver(inbox: Path | None, token: str | None = None, **options: float) -> Iterator[str]:
    """The receiver on a free loopback port, in a thread; yields its callback URL (`inbox` None: the table).

    `options` go to `build_callbacks_app` (e.g. a short `body_timeout`).
    """
    port = free_port()
    app = build_callbacks_app(inbox, token, **options)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


RENDER_ID = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def callback(render_id: object = RENDER_ID, **fields: object) -> dict:
    """A Shotstack render callback body, as the receiver expects it; `fields` override."""
    return {
        "type": "edit",
        "action": "render",
        "id": render_id,
        "owner": "o",
        "status": "done",
        "url": "https://cdn.test/v.mp4",
        "error": None,
        "completed": "2026-11-01T12:00:00Z",
        **fields,
    }
