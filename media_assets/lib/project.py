"""Where the project lives, and a dlt run context that keeps dlt's files inside it.

dlt keeps pipeline state in a folder shared by every project on the machine (`~/.dlt`), and
resolves a relative DuckDB path against the directory a pipeline was first created from. Two
checkouts then share state and can load into each other's warehouse. This module is registered
as a dlt plugin (`[project.entry-points.dlt]` in pyproject.toml): in a folder whose
`.dlt/config.toml` has a `[media_assets]` section, dlt keeps its pipelines under `data/dlt/` and
its local files under `data/`, and the warehouse is the project's `[media_assets] duckdb_path` in
every dlt process (a config value, `destination.media_assets.credentials`), so `dlt pipeline ...
info`, `show` and `dlt.pipeline(name).dataset()` find this project's state and warehouse. It imports
no Dagster: dlt loads it in every process.
"""

import os
import tomllib
from pathlib import Path
from typing import Any

from dlt.common.configuration import plugins
from dlt.common.configuration.providers import ConfigProvider
from dlt.common.runtime.run_context import RunContext

# what the project keeps out of git: the warehouse, the inbox, dlt's working folders
DATA_DIR = "data"
SECTION = "media_assets"
# the warehouse setting, `[media_assets] duckdb_path`, and its default, relative to the project root
WAREHOUSE_SETTING = "duckdb_path"
# the engine setting, `[media_assets] warehouse`: the file above is the destination only on duckdb
ENGINE_SETTING = "warehouse"
DEFAULT_WAREHOUSE = f"{DATA_DIR}/media_assets.duckdb"
# the dlt destination's name: its config section, `[destination.media_assets]`
DESTINATION_NAME = "media_assets"


def is_project(folder: str | Path) -> bool:
    """A folder whose `.dlt/config.toml` configures this project."""
    config = Path(folder) / ".dlt" / "config.toml"
    try:
        return SECTION in tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def root() -> Path:
    """The project folder: DLT_PROJECT_DIR when set, else the checkout that holds this package.

    Never the current directory when a checkout is found, so `dagster dev` started anywhere
    reads this checkout's settings and writes into this checkout's data folder.
    """
    given = os.environ.get("DLT_PROJECT_DIR")
    if given:
        return Path(given).resolve()
    checkout = Path(__file__).resolve().parents[2]
    return checkout if is_project(checkout) else Path.cwd().resolve()


def resolve(path: str | Path) -> Path:
    """A setting's path, absolute: relative ones are taken from the project root."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else root() / path


class WarehouseProvider(ConfigProvider):
    """Answers `destination.media_assets.credentials` with the project's warehouse, absolute.

    A pipeline restored from its state (`dlt.attach`, `dlt.pipeline(name)` in a notebook, the
    dashboard of `dlt pipeline <name> show`) knows its destination's name but not its file. dlt
    would then take the path kept in the pipeline's local state, which dagster-dlt clears before
    every run, else `<initial_cwd>/media_assets.duckdb`: an empty new file whenever `duckdb_path` is
    not the default. Read from the settings on every lookup, so it follows them as they change.
    """

    def __init__(self, settings: list[ConfigProvider], run_dir: str) -> None:
        self._settings = settings
        self._run_dir = run_dir

    def _setting(self, name: str) -> Any | None:
        for provider in self._settings:
            value, _ = provider.get_value(name, str, None, SECTION)
            if value:
                return value
        return None

    def warehouse(self) -> str | None:
        """The DuckDB file; None on PostgreSQL, whose credentials only the secrets hold."""
        if str(self._setting(ENGINE_SETTING) or "").strip().lower() == "postgres":
            return None
        value = self._setting(WAREHOUSE_SETTING) or DEFAULT_WAREHOUSE
        return os.path.join(self._run_dir, os.path.expanduser(str(value)))

    def get_value(
        self, key: str, hint: type[Any], pipeline_name: str | None, *sections: str
    ) -> tuple[Any | None, str]:
        wanted = key == "credentials" and sections == ("destination", DESTINATION_NAME)
        name = f"destination.{DESTINATION_NAME}.credentials"
        return (self.warehouse() if wanted else None), name

    @property
    def supports_secrets(self) -> bool:
        return True

    @property
    def supports_sections(self) -> bool:
        return True

    @property
    def name(self) -> str:
        return f"[{SECTION}] {WAREHOUSE_SETTING}"


class ProjectRunContext(RunContext):
    """dlt's own run context, with pipelines and local files in the project's data folder, and the
    project's warehouse as its destination's default file."""

    def initial_providers(self) -> list[ConfigProvider]:
        settings = super().initial_providers()
        # last, so an explicit destination setting or a pipeline's own path still wins
        return [*settings, WarehouseProvider(settings, self.run_dir)]

    @property
    def data_dir(self) -> str:
        return os.environ.get("DLT_DATA_DIR") or os.path.join(self.run_dir, DATA_DIR, "dlt")

    @property
    def local_dir(self) -> str:
        return os.environ.get("DLT_LOCAL_DIR") or os.path.join(self.run_dir, DATA_DIR)


@plugins.hookimpl(specname="plug_run_context", tryfirst=True)
def plug_project_context(run_dir: str | None, runtime_kwargs: dict[str, Any] | None) -> RunContext | None:
    """This project's context when dlt runs inside it; otherwise dlt's usual one."""
    folder = os.path.abspath(os.environ.get("DLT_PROJECT_DIR") or run_dir or ".")
    return ProjectRunContext(folder) if is_project(folder) else None


def activate() -> None:
    """Point dlt at this project's settings and folders, whatever the current directory."""
    from dlt.common.runtime.run_context import active, switch_context

    if Path(active().run_dir).resolve() != root():
        switch_context(str(root()))
