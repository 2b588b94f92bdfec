"""Slash-command parsing: the first /maestro line counts; errors say what is wrong."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checks.commands import Command, CommandError, parse_command


def test_waive_with_days_and_reason() -> None:
    body = "Thanks!\n/maestro waive mutationScore --days 7 flaky mutants, see #12\nmore text"
    assert parse_command(body) == Command(
        name="waive", obligation="mutationScore", days=7, reason="flaky mutants, see #12"
    )


def test_rule_obligations_and_plain_commands() -> None:
    waive = parse_command("/maestro waive invariants.changelog docs only")
    assert isinstance(waive, Command) and waive.obligation == "invariants.changelog"
    assert parse_command("/maestro recheck") == Command(name="recheck")
    assert parse_command("  /maestro help  ") == Command(name="help")


def test_comments_without_a_command_are_ignored() -> None:
    assert parse_command("LGTM") is None
    assert parse_command("/maestrowaive x") is None
    assert parse_command(None) is None


def test_errors_explain_the_problem() -> None:
    for body, fragment in [
        ("/maestro", "missing command"),
        ("/maestro deploy", "unknown command 'deploy'"),
        ("/maestro waive", "needs an obligation"),
        ("/maestro waive mutationScore", "needs a reason"),
        ("/maestro waive mutationScore --days 0 x", "--days"),
        ("/maestro waive ../etc x", "not an obligation name"),
    ]:
        result = parse_command(body)
        assert isinstance(result, CommandError), body
        assert fragment in result.message


@given(st.text(max_size=300))
def test_never_raises(body: str) -> None:
    result = parse_command(body)
    assert result is None or isinstance(result, Command | CommandError)
