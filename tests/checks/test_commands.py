"""Slash-command parsing: the first /maestro line counts; errors say what is wrong."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from checks.commands import MAX_REASON_CHARS, Command, CommandError, format_command, parse_command


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
        ("/maestro waive riskCap x --until 2026-13-01", "--until needs a date as YYYY-MM-DD"),
        ("/maestro waive riskCap x --until tomorrow", "--until needs a date"),
        ("/maestro waive riskCap x --until", "--until needs a date"),
        ("/maestro waive riskCap x --until 2026-04-01 --days 3", "either --until or --days"),
        ("/maestro waive riskCap x --days 3 --days 4", "--days is given twice"),
        ("/maestro waive riskCap x --owner", "--owner needs a GitHub user"),
        ("/maestro waive riskCap x --owner @-bad", "--owner needs a GitHub user"),
        ("/maestro waive riskCap x --untill 2026-04-01", "unknown option '--untill'"),
        ("/maestro waive --until 2026-04-01", "needs an obligation"),
    ]:
        result = parse_command(body)
        assert isinstance(result, CommandError), body
        assert fragment in result.message


@given(st.text(max_size=300))
def test_never_raises(body: str) -> None:
    result = parse_command(body)
    assert result is None or isinstance(result, Command | CommandError)


def test_until_anywhere_is_an_option_not_part_of_the_reason() -> None:
    expected = Command(
        name="waive",
        obligation="mutationScore",
        until=date(2026, 4, 1),
        reason="mutation job is down, tracked in #9",
    )
    for body in (
        "/maestro waive mutationScore mutation job is down, tracked in #9 --until 2026-04-01",
        "/maestro waive mutationScore --until 2026-04-01 mutation job is down, tracked in #9",
        "/maestro waive --until=2026-04-01 mutationScore mutation job is down, tracked in #9",
        "/maestro waive mutationScore mutation job --until 2026-04-01 is down, tracked in #9",
    ):
        assert parse_command(body) == expected, body


def test_owner_and_days() -> None:
    assert parse_command("/maestro waive riskCap --owner @octo-cat --days 3 big refactor") == (
        Command(name="waive", obligation="riskCap", owner="octo-cat", days=3, reason="big refactor")
    )


def test_double_dash_ends_the_options() -> None:
    assert parse_command("/maestro waive riskCap -- --until is not a flag here") == Command(
        name="waive", obligation="riskCap", reason="--until is not a flag here"
    )


_WORD = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).filter(lambda w: w.strip() == w and w.split() == [w])
_COMMANDS = st.one_of(
    st.sampled_from([Command(name="recheck"), Command(name="help")]),
    st.builds(
        Command,
        name=st.just("waive"),
        obligation=st.from_regex(r"\A[A-Za-z][A-Za-z0-9]{0,15}(\.[a-z0-9][a-z0-9_-]{0,10})?\Z"),
        days=st.none() | st.integers(1, 365),
        until=st.none(),
        owner=st.none() | st.from_regex(r"\A[A-Za-z0-9]{1,10}(-[A-Za-z0-9]{1,10})?\Z"),
        reason=st.lists(_WORD, min_size=1, max_size=30)
        .map(" ".join)
        .filter(lambda r: len(r) <= MAX_REASON_CHARS),
    ),
    st.builds(
        Command,
        name=st.just("waive"),
        obligation=st.sampled_from(["riskCap", "invariants.dba", "cepGuards.fresh-approval"]),
        until=st.dates(date(2000, 1, 1), date(2999, 12, 31)),
        reason=st.lists(_WORD, min_size=1, max_size=5).map(" ".join),
    ),
)


@given(_COMMANDS)
def test_format_then_parse_round_trips(command: Command) -> None:
    line = format_command(command)
    assert parse_command(f"Some prose first.\n{line}\nand after") == command


@given(
    st.lists(
        st.sampled_from(
            [
                "/maestro",
                "waive",
                "riskCap",
                "--until",
                "--days",
                "--owner",
                "--",
                "2026-04-01",
                "3",
                "@x",
                "why",
                "--x",
                "=",
                "--until=",
            ]
        ),
        max_size=12,
    )
)
def test_near_miss_commands_never_raise(words: list[str]) -> None:
    result = parse_command(" ".join(["/maestro", *words]))
    assert isinstance(result, Command | CommandError)
    if isinstance(result, Command) and result.name == "waive":
        assert parse_command(format_command(result)) == result
