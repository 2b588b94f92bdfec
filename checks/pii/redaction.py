"""One-click redactions: the replacement text for a GitHub suggested change.

Secrets in code become an environment lookup in the file's language (`os.environ[...]`,
`process.env.X`, `os.Getenv(...)` …); secrets in config become a placeholder the deployment
fills (`${X}`, `${{ secrets.X }}` in workflows, an empty value in `.env`). Personal data is
replaced by a documentation-reserved example (example.com, 192.0.2.x, 555-01xx) that the
detector itself ignores, so applying the suggestion clears the finding.
"""

from __future__ import annotations

import re

from checks.pii.filetypes import Lang
from checks.pii.models import PII_TYPES, PiiType, Redaction

_EXAMPLE_VALUES: dict[PiiType, str] = {
    PiiType.EMAIL: "user@example.com",
    PiiType.PHONE: "+1-202-555-0100",
    PiiType.CREDIT_CARD: "<card-number>",
    PiiType.IBAN: "<iban>",
    PiiType.US_SSN: "000-00-0000",
    PiiType.IP_ADDRESS: "192.0.2.1",
    PiiType.PASSPORT: "<passport-number>",
    PiiType.NATIONAL_ID: "<national-id>",
}

_DEFAULT_ENV: dict[PiiType, str] = {
    PiiType.AWS_ACCESS_KEY: "AWS_ACCESS_KEY_ID",
    PiiType.AWS_SECRET_KEY: "AWS_SECRET_ACCESS_KEY",
    PiiType.GITHUB_TOKEN: "GITHUB_TOKEN",
    PiiType.SLACK_TOKEN: "SLACK_TOKEN",
    PiiType.STRIPE_KEY: "STRIPE_SECRET_KEY",
    PiiType.GOOGLE_API_KEY: "GOOGLE_API_KEY",
    PiiType.JWT: "AUTH_TOKEN",
    PiiType.PRIVATE_KEY: "PRIVATE_KEY",
    PiiType.PASSWORD_ASSIGNMENT: "PASSWORD",
    PiiType.HIGH_ENTROPY: "SECRET_VALUE",
}

# The name being assigned just before the value: `api_key = "`, `"token": "`, `TOKEN=`.
_TARGET = re.compile(r"""([A-Za-z_][A-Za-z0-9_.\-]*)["'`]?\s*(?:=|:=|=>|:)\s*["'`]?\s*$""")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def env_var_name(line_before_value: str, kind: PiiType) -> str:
    """SCREAMING_SNAKE name from the assignment target, else a conventional name for the type."""
    m = _TARGET.search(line_before_value[-96:])  # bounded: `search` retries at every offset
    if m:
        name = m.group(1).rsplit(".", 1)[-1]
        name = _CAMEL.sub("_", name).replace("-", "_").upper().strip("_")
        if name and not name[0].isdigit() and name not in {"VALUE", "KEY", "DATA", "DEFAULT"}:
            return name
    return _DEFAULT_ENV.get(kind, "SECRET_VALUE")


def env_expression(lang: Lang, var: str) -> str | None:
    """The expression reading `var` from the environment, for languages that have one."""
    return {
        Lang.PYTHON: f'os.environ["{var}"]',
        Lang.JAVASCRIPT: f"process.env.{var}",
        Lang.GO: f'os.Getenv("{var}")',
        Lang.RUBY: f'ENV.fetch("{var}")',
        Lang.JAVA: f'System.getenv("{var}")',
        Lang.RUST: f'std::env::var("{var}").expect("{var} is not set")',
        Lang.SHELL: f'"${{{var}}}"',
    }.get(lang)


def config_placeholder(lang: Lang, var: str) -> str:
    if lang is Lang.GH_WORKFLOW:
        return f"${{{{ secrets.{var} }}}}"
    if lang is Lang.DOTENV:
        return ""
    if lang in (Lang.YAML, Lang.INI, Lang.TOML, Lang.JSON):
        return f"${{{var}}}"
    return f"<{var}>"


def _quoted_span(line: str, start: int, end: int) -> tuple[int, int] | None:
    """If the value is the whole content of a quoted literal, the span including the quotes."""
    if start > 0 and end < len(line) and line[start - 1] == line[end] and line[end] in "\"'`":
        return start - 1, end + 1
    return None


def replacement_for(
    line: str, start: int, end: int, kind: PiiType, lang: Lang
) -> tuple[str, str, str | None]:
    """(new text for span-or-literal applied to the line, strategy, env var) for one value."""
    if kind in PII_TYPES:
        example = _EXAMPLE_VALUES[kind]
        return line[:start] + example + line[end:], "example_value", None
    var = env_var_name(line[:start], kind)
    quoted = _quoted_span(line, start, end)
    expr = env_expression(lang, var)
    if expr is not None and quoted is not None and lang is not Lang.SHELL:
        q_start, q_end = quoted
        return line[:q_start] + expr + line[q_end:], "env_lookup", var
    if lang is Lang.SHELL and expr is not None:
        s, e = quoted if quoted is not None else (start, end)
        return line[:s] + expr + line[e:], "env_lookup", var
    placeholder = config_placeholder(lang, var)
    if lang is Lang.JSON and quoted is None:
        placeholder = f'"{placeholder}"'
    return line[:start] + placeholder + line[end:], "placeholder", var


def suggestion_block(replacement: str) -> str:
    """A review-comment body GitHub renders with a 'Commit suggestion' button."""
    fence = "```"
    while fence in replacement:
        fence += "`"
    return f"{fence}suggestion\n{replacement}\n{fence}"


def build_redaction(
    lines: list[str],
    first: int,
    last: int,
    spans: list[tuple[int, int, PiiType]],
    lang: Lang,
    line_number: int,
) -> Redaction:
    """Redaction of `lines[first]`…`lines[last]` (0-based) removing every value in `spans`.

    `spans` are (col_start, col_end, kind) on `lines[first]`; a suggestion replaces whole
    lines, so every value on the line is redacted at once. For a multi-line value (a PEM
    block, first < last) the block is dropped and what precedes and follows it is kept.
    `line_number` is the 1-based new-file number of `lines[first]`.
    """
    var: str | None
    if first == last:
        new = lines[first]
        strategies: list[str] = []
        env_vars: list[str] = []
        for col_start, col_end, kind in sorted(spans, key=lambda s: s[0], reverse=True):
            new, strategy, one_var = replacement_for(new, col_start, col_end, kind, lang)
            strategies.append(strategy)
            if one_var:
                env_vars.append(one_var)
        strategy = strategies[-1] if strategies else "placeholder"
        var = env_vars[-1] if env_vars else None
    else:
        col_start, _end, kind = spans[0]
        head = lines[first][:col_start]
        tail_line = lines[last]
        tail_at = tail_line.find("-----", tail_line.find("PRIVATE KEY"))
        tail = tail_line[tail_at + 5 :] if tail_at >= 0 else ""
        var = _DEFAULT_ENV.get(kind, "SECRET_VALUE")
        new = head + f"<{var}: removed, load it from a secret store>" + tail
        strategy = "remove_block"
    return Redaction(
        start_line=line_number,
        end_line=line_number + (last - first),
        replacement=new,
        suggestion=suggestion_block(new),
        strategy=strategy,
        env_var=var,
    )
