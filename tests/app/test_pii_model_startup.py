"""The PII model is loaded when the app starts, so a broken artefact stops the server at once
with the reason, instead of failing the first pull request that needs a scan."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.main import create_app
from app.settings import Settings
from checks.pii import model as pii_model


@pytest.fixture
def fresh_model_cache() -> Iterator[None]:
    pii_model.load_model.cache_clear()
    yield
    pii_model.load_model.cache_clear()  # the next user reloads the real artefact


async def test_the_model_is_loaded_at_start_up(settings: Settings, fresh_model_cache: None) -> None:
    app = create_app(settings, run_worker=False, migrate=False)
    assert pii_model.load_model.cache_info().currsize == 0
    async with app.router.lifespan_context(app):
        assert pii_model.load_model.cache_info().currsize == 1
    await app.state.services.engine.dispose()


@pytest.mark.parametrize(
    ("artefact", "reason"),
    [
        ('{"format": "maestro-pii-model", "format_version": 1, "weights_f16_b64"', "not JSON"),
        ('{"format": "something-else"}', "format"),
    ],
)
async def test_a_corrupt_artefact_stops_the_start_with_the_reason(
    settings: Settings,
    fresh_model_cache: None,
    monkeypatch: pytest.MonkeyPatch,
    artefact: str,
    reason: str,
) -> None:
    monkeypatch.setattr(pii_model, "_artefact_text", lambda: artefact)
    app = create_app(settings, run_worker=False, migrate=False)
    with pytest.raises(RuntimeError, match="PII detector's model artefact") as raised:
        async with app.router.lifespan_context(app):
            pytest.fail("the app started with a corrupt model")
    assert reason in str(raised.value)
    await app.state.services.engine.dispose()


async def test_a_missing_artefact_says_how_to_rebuild_it(
    settings: Settings, fresh_model_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> str:
        raise FileNotFoundError("model.json")

    monkeypatch.setattr(pii_model, "_artefact_text", missing)
    app = create_app(settings, run_worker=False, migrate=False)
    with pytest.raises(RuntimeError, match="maestro pii train"):
        async with app.router.lifespan_context(app):
            pytest.fail("the app started without a model")
    await app.state.services.engine.dispose()
