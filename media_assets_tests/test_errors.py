"""Bad input ends in a clear error that names the setting to fix, never shows a key, loses nothing."""

import logging

import dagster as dg
import pytest

from media_assets.sandbox import Fault, Sandbox, World
from media_assets.sources.picsart import settings as picsart_settings

from .helpers.materialize import count, expected_counts, materialize, table_exists

WRONG_KEY = "not-the-right-key-0123456789"


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures, "the run should have failed"
    return "\n".join(str(e.step_failure_data.error) for e in failures)


def all_logs(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> str:
    records = instance.all_logs(result.run_id)
    return "\n".join(str(r.dagster_event or "") + str(r.user_message) for r in records)


@pytest.mark.parametrize(
    ("api", "env", "section"),
    [
        ("picsart", "SOURCES__PICSART_SOURCE__API_KEY", "[sources.picsart_source] api_key"),
        ("shotstack", "SOURCES__SHOTSTACK_SOURCE__API_KEY", "[sources.shotstack_source] api_key"),
    ],
)
def test_missing_key_names_both_places_to_set_it(
    api: str,
    env: str,
    section: str,
    sandbox_environ: dict,
    fresh_sandbox: Sandbox,
    warehouse: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No key: the run fails before any request, naming secrets.toml's section and the variable."""
    monkeypatch.delenv(env)
    result = materialize(warehouse, instance, selection=dg.AssetSelection.groups(api), raise_on_error=False)
    text = failure_text(result)
    assert section in text and env in text
    assert sum(n for name, n in fresh_sandbox.counts.items() if name.startswith(api)) == 0


@pytest.mark.parametrize(
    ("api", "env", "endpoint", "status"),
    [
        ("picsart", "SOURCES__PICSART_SOURCE__API_KEY", "picsart.balance", "401"),
        ("shotstack", "SOURCES__SHOTSTACK_SOURCE__API_KEY", "shotstack.render_get", "403"),
    ],
)
def test_refused_key_fails_at_once_without_retry_or_leak(
    api: str,
    env: str,
    endpoint: str,
    status: str,
    sandbox_environ: dict,
    fresh_sandbox: Sandbox,
    warehouse: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong key is refused once, the error names the setting, and the key appears nowhere."""
    monkeypatch.setenv(env, WRONG_KEY)
    result = materialize(warehouse, instance, selection=dg.AssetSelection.groups(api), raise_on_error=False)
    text = failure_text(result)
    assert f"HTTP {status}" in text and env in text
    assert WRONG_KEY not in text
    assert WRONG_KEY not in all_logs(instance, result)
    assert fresh_sandbox.counts[endpoint] == 1, "a refused key is not retried"


# each brief-only resource, the sandbox endpoint serving it, and its path
BRIEF_ONLY = [
    ("image_search", "picsart.image_search", "/image-tools/search"),
    ("image_trending", "picsart.image_trending", "/image-tools/trending"),
    ("video_tools_info", "picsart.video_info", "/video-tools/info"),
    ("genai_models", "picsart.genai_models", "/genai-tools/models"),
]


@pytest.mark.parametrize(("resource", "endpoint", "path"), BRIEF_ONLY, ids=[r for r, _, _ in BRIEF_ONLY])
def test_brief_only_404_leaves_an_empty_table_and_loads_the_rest(
    resource: str,
    endpoint: str,
    path: str,
    sandbox_environ: dict,
    fresh_sandbox: Sandbox,
    world: World,
    warehouse: str,
    instance: dg.DagsterInstance,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Where the real service lacks a brief-only endpoint, its table is empty and the others load."""
    fresh_sandbox.set_fault(endpoint, Fault(kind=404))
    result = materialize(warehouse, instance, selection=dg.AssetSelection.groups("picsart"))
    assert result.success
    assert table_exists(warehouse, "picsart_data", resource)
    assert count(warehouse, f"picsart_data.{resource}") == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(path in m and "not in Picsart's published API" in m for m in warnings), warnings
    expected = {t.removeprefix("picsart_data."): n for t, n in expected_counts(world).items()}
    for other in picsart_settings.TABLES:
        if other != resource:
            assert count(warehouse, f"picsart_data.{other}") == expected[other], other


def test_5xx_storm_fails_clearly_and_loads_nothing_partial(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A 503 that outlasts dlt's retries fails the run with the status and loads no table."""
    fresh_sandbox.set_fault("shotstack.templates", Fault(kind=503))
    result = materialize(warehouse, instance, selection=["shotstack/templates"], raise_on_error=False)
    text = failure_text(result)
    assert "HTTP 503" in text and "request_max_attempts" in text
    assert fresh_sandbox.counts["shotstack.templates"] == 5, "dlt retried up to request_max_attempts"
    assert not table_exists(warehouse, "shotstack_data", "templates")


def test_transient_429s_are_retried_and_lose_nothing(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Two 429s then success: the run succeeds with every row, after exactly two extra calls."""
    fresh_sandbox.set_fault("shotstack.templates", Fault(kind=429, count=2))
    materialize(warehouse, instance, selection=["shotstack/templates"])
    assert fresh_sandbox.counts["shotstack.templates"] == 3
    assert count(warehouse, "shotstack_data.templates") == len(fresh_sandbox.world.templates["v1"])


# refusals retrying cannot fix, on a hand-written and a rest_api resource of each API:
# (endpoint, status, asset, what the message must say)
PICSART_KEY = ("[sources.picsart_source] api_key", "SOURCES__PICSART_SOURCE__API_KEY")
SHOTSTACK_KEY = ("[sources.shotstack_source] api_key", "SOURCES__SHOTSTACK_SOURCE__API_KEY")
REFUSALS = [
    ("picsart.balance", 401, "picsart/balance", PICSART_KEY),
    ("picsart.effects", 402, "picsart/effects", ("out of credits", "Top up the account")),
    ("shotstack.templates", 401, "shotstack/templates", SHOTSTACK_KEY),
    (
        "shotstack.render_get",
        403,
        "shotstack/renders",
        (*SHOTSTACK_KEY, "[sources.shotstack_source] version"),
    ),
]


def step_seconds(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> float:
    """From the step's start to its failure, as the run's event log dates them."""
    stamps = {
        r.dagster_event.event_type: r.timestamp
        for r in instance.all_logs(result.run_id)
        if r.dagster_event is not None and r.dagster_event.is_step_event
    }
    return stamps[dg.DagsterEventType.STEP_FAILURE] - stamps[dg.DagsterEventType.STEP_START]


@pytest.mark.parametrize(
    ("endpoint", "status", "asset", "words"), REFUSALS, ids=[f"{e}-{s}" for e, s, _, _ in REFUSALS]
)
def test_refusal_fails_in_one_call_within_two_seconds_naming_the_fix(
    endpoint: str,
    status: int,
    asset: str,
    words: tuple[str, ...],
    sandbox_environ: dict,
    fresh_sandbox: Sandbox,
    warehouse: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """401, 402 and 403 are not transient: under dlt's real backoff, where one retry alone waits a
    second, the run fails after one call and within two seconds, saying what to fix (the key's
    setting; for 402, that credits ran out), and never shows a key."""
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "1")
    monkeypatch.delenv("RUNTIME__REQUEST_MAX_RETRY_DELAY")
    fresh_sandbox.set_fault(endpoint, Fault(kind=status))
    result = materialize(warehouse, instance, selection=[asset], raise_on_error=False)
    text = failure_text(result)
    assert f"HTTP {status}" in text and all(word in text for word in words), text
    assert fresh_sandbox.counts[endpoint] == 1, "a refusal is not retried"
    # the bound, measured generously over the whole step (a fresh source, its settings, the
    # call, the message) but not Dagster's set-up of the run around it; it takes well under a second
    # here, while one retry alone would wait a second and a full round of them 15 s
    assert step_seconds(instance, result) < 2.0
    assert_no_key(text, fresh_sandbox)
    assert_no_key(all_logs(instance, result), fresh_sandbox)


# a hand-written resource and a rest_api one per API, each with the path its message must name
BODY_FAULTS = [
    ("picsart.balance", "picsart/balance", "tools/1.0/balance", "picsart_source"),
    ("picsart.effects", "picsart/effects", "tools/1.0/effects", "picsart_source"),
    ("shotstack.render_get", "shotstack/renders", "edit/v1/render/", "shotstack_source"),
    ("shotstack.templates", "shotstack/templates", "edit/v1/templates", "shotstack_source"),
]


def assert_no_key(text: str, sandbox: Sandbox) -> None:
    for key in (sandbox.picsart_key, sandbox.shotstack_key):
        assert key not in text


@pytest.mark.parametrize(
    ("endpoint", "asset", "path", "source"), BODY_FAULTS, ids=[a for _, a, _, _ in BODY_FAULTS]
)
def test_malformed_body_says_it_may_be_transient_then_names_base_url(
    endpoint: str,
    asset: str,
    path: str,
    source: str,
    sandbox_environ: dict,
    fresh_sandbox: Sandbox,
    warehouse: str,
    instance: dg.DagsterInstance,
) -> None:
    """A cut-off body: its endpoint, that it may be transient so run again, base_url only if it persists."""
    fresh_sandbox.set_fault(endpoint, Fault(kind="malformed"))
    result = materialize(warehouse, instance, selection=[asset], raise_on_error=False)
    text = failure_text(result)
    assert "not valid JSON" in text and path in text
    assert "transient" in text and "run again" in text
    assert f"If it persists, check that [sources.{source}] base_url" in text
    assert text.index("run again") < text.index("base_url")
    assert_no_key(text, fresh_sandbox)
    assert_no_key(all_logs(instance, result), fresh_sandbox)


TIMEOUTS = [
    ("picsart.balance", "picsart/balance", "tools/1.0/balance"),
    ("shotstack.templates", "shotstack/templates", "edit/v1/templates"),
]


@pytest.mark.parametrize(("endpoint", "asset", "path"), TIMEOUTS, ids=[a for _, a, _ in TIMEOUTS])
def test_timeout_names_request_timeout_and_attempts(
    endpoint: str,
    asset: str,
    path: str,
    sandbox_environ: dict,
    fresh_sandbox: Sandbox,
    warehouse: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An answer slower than request_timeout on every attempt names both settings, not a raw read timeout."""
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "0.3")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    fresh_sandbox.set_latency(1.0, endpoint)
    result = materialize(warehouse, instance, selection=[asset], raise_on_error=False)
    text = failure_text(result)
    assert "[runtime] request_timeout (0.3 s)" in text and "request_max_attempts (2)" in text
    assert "RUNTIME__REQUEST_TIMEOUT" in text and path in text
    assert "ResourceExtractionError" not in text and "Read timed out" not in text
    assert fresh_sandbox.counts[endpoint] == 2, "each attempt waited request_timeout, then dlt tried again"
    assert_no_key(text, fresh_sandbox)
    assert_no_key(all_logs(instance, result), fresh_sandbox)


def test_empty_brief_only_table_takes_rows_once_the_endpoint_answers(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """The empty table left by a 404 does not block a later load into it."""
    fresh_sandbox.set_fault("picsart.image_trending", Fault(kind=404))
    materialize(warehouse, instance, selection=["picsart/image_trending"])
    fresh_sandbox.clear_faults()
    materialize(warehouse, instance, selection=["picsart/image_trending"])
    assert count(warehouse, "picsart_data.image_trending") == len(fresh_sandbox.world.picsart.trending)


def test_key_with_a_trailing_newline_is_trimmed(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance, monkeypatch
) -> None:
    """A copy-paste slip (the key and a newline) is trimmed, and the key works."""
    name = "SOURCES__SHOTSTACK_SOURCE__API_KEY"
    monkeypatch.setenv(name, sandbox_environ[name] + "\n")
    assert materialize(warehouse, instance, selection=["shotstack/templates"]).success


def test_key_no_header_can_carry_fails_naming_the_setting_without_quoting_it(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance, monkeypatch
) -> None:
    """A key with a line break inside is refused before any request; the message never quotes it."""
    secret = "tail-of-a-SECRET-key"
    monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__API_KEY", f"sk-part\n{secret}")
    result = materialize(warehouse, instance, selection=["shotstack/templates"], raise_on_error=False)
    text = failure_text(result)
    assert not result.success
    assert "[sources.shotstack_source] api_key" in text and "SOURCES__SHOTSTACK_SOURCE__API_KEY" in text, text
    assert secret not in text and secret not in all_logs(instance, result)
    assert fresh_sandbox.counts["shotstack.templates"] == 0, "nothing was sent with the key"
