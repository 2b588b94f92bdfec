"""Contexts for synthesised positives: variable names per type, line templates per language, paths.

Templates use `{i}` (indent), `{name}` (as written), `{NAME}` (SCREAMING_SNAKE), `{Name}`
(PascalCase), `{fn}` (a call) and `{v}` (the value). `synth.half` splits every pool so the
held-out split uses names, templates and paths the training split never saw.
"""

from __future__ import annotations

import random
import re

from checks.pii.models import PII_TYPES, PiiType
from checks.pii.training.synth import VALUE_GENERATORS, Planted, half, words

NAMES: dict[PiiType, list[str]] = {
    PiiType.EMAIL: words(
        "email contact_email user_email billing_email owner_email reply_to "
        "customer_email admin_email to_addr sender notify support_contact recipient from_address "
        "cc emailAddress"
    ),
    PiiType.PHONE: words(
        "phone phone_number mobile contact_phone tel cell fax emergency_contact "
        "msisdn support_line caller_id whatsapp phoneNumber home_phone"
    ),
    PiiType.CREDIT_CARD: words(
        "card_number cc_number pan card payment_card cardNumber credit_card "
        "cc billing_card primary_card card_no stored_pan"
    ),
    PiiType.IBAN: words(
        "iban bank_account payout_iban account_iban beneficiary_iban debtor_account "
        "sepa_account refund_account"
    ),
    PiiType.US_SSN: words(
        "ssn social_security_number tax_id ssn_number employee_ssn applicant_ssn member_ssn tin"
    ),
    PiiType.IP_ADDRESS: words(
        "client_ip remote_addr user_ip last_login_ip origin_ip peer visitor_ip "
        "source_address forwarded_for device_ip home_ip customer_ip"
    ),
    PiiType.PASSPORT: words(
        "passport passport_number passport_no passportId travel_passport "
        "passport_num holder_passport passport_id"
    ),
    PiiType.NATIONAL_ID: words(
        "nino ni_number national_insurance nin employee_nino ni_no insurance_number ni_ref"
    ),
    PiiType.AWS_ACCESS_KEY: words(
        "aws_access_key_id access_key AWS_KEY aws_key_id s3_access_key key_id accessKeyId iam_key"
    ),
    PiiType.AWS_SECRET_KEY: words(
        "aws_secret_access_key aws_secret_key AWS_SECRET awsSecretAccessKey "
        "aws_secret s3_aws_secret_key aws_secret_token_key aws_backup_secret"
    ),
    PiiType.GITHUB_TOKEN: words(
        "github_token gh_token token GITHUB_PAT access_token bot_token "
        "ci_token auth githubToken deploy_token gh_pat oauth_token"
    ),
    PiiType.SLACK_TOKEN: words(
        "slack_token SLACK_BOT_TOKEN slack_webhook webhook_url bot_token "
        "slackToken notify_hook alerts_webhook"
    ),
    PiiType.STRIPE_KEY: words(
        "stripe_key STRIPE_SECRET_KEY api_key secret_key stripeKey payment_key billing_key sk"
    ),
    PiiType.GOOGLE_API_KEY: words(
        "google_api_key GOOGLE_MAPS_KEY api_key maps_key firebase_key "
        "gcp_key youtube_api_key places_key"
    ),
    PiiType.JWT: words(
        "jwt id_token access_token auth_token bearer session_token token refresh_token"
    ),
    PiiType.PRIVATE_KEY: words(
        "private_key PRIVATE_KEY signing_key ssh_key tls_key key_pem deploy_key rsa_key"
    ),
    PiiType.PASSWORD_ASSIGNMENT: words(
        "password db_password passwd admin_password smtp_password "
        "secret client_secret api_key auth_token redis_password mysql_pwd root_password app_secret "
        "session_secret apikey webhook_secret ldap_password jwt_secret"
    ),
    PiiType.HIGH_ENTROPY: words(
        "master_key encryption_key hmac_key license_key app_key cipher_key "
        "shared_key key_material sendgrid mailgun twilio_sid datadog dsn_key sentry_key "
        "bearer_value sig"
    ),
}

CODE_TEMPLATES: dict[str, list[str]] = {
    "py": [
        '{i}{name} = "{v}"',
        "{i}{name} = '{v}'",
        '{i}"{name}": "{v}",',
        '{i}client = {fn}({name}="{v}")',
        '{i}self.{name} = "{v}"',
        '{i}{NAME}: str = "{v}"',
        '{i}return {{"{name}": "{v}"}}',
        '{i}{name}="{v}",',
    ],
    "js": [
        'const {name} = "{v}";',
        "{i}{name}: '{v}',",
        "let {name} = `{v}`;",
        'export const {NAME} = "{v}";',
        '{i}{fn}({{ {name}: "{v}" }});',
        'module.exports.{name} = "{v}";',
    ],
    "go": ['{i}{name} := "{v}"', '{i}{Name}: "{v}",', 'const {Name} = "{v}"', 'var {name} = "{v}"'],
    "rb": ["{i}{name} = '{v}'", '{i}config.{name} = "{v}"', '{i}{name}: "{v}",', "{NAME} = '{v}'"],
    "java": [
        '{i}private static final String {NAME} = "{v}";',
        '{i}String {name} = "{v}";',
        '{i}props.setProperty("{name}", "{v}");',
        '{i}val {name} = "{v}"',
    ],
    "yml": ["{i}{name}: {v}", '{i}{name}: "{v}"', "{i}- {NAME}={v}", "{i}{name}: '{v}'"],
    "env": ["{NAME}={v}", '{NAME}="{v}"', "export {NAME}={v}", "{NAME}='{v}'"],
    "json": [
        '{i}"{name}": "{v}",',
        '{i}"{name}": "{v}"',
        '{{"{name}": "{v}"}}',
        '{i}{{"{name}": "{v}"}},',
    ],
    "sh": ['export {NAME}="{v}"', "{NAME}={v} ./run.sh", '{i}--{name}="{v}" \\', "{NAME}='{v}'"],
    "toml": ['{name} = "{v}"', "{name} = '{v}'"],
    "ini": ["{name} = {v}", "{name}={v}"],
}

PII_ONLY_TEMPLATES: dict[str, list[str]] = {
    "py": [
        '{i}logger.info("notified %s", "{v}")',
        "{i}# contact {v} for access",
        '{i}assert user.{name} == "{v}"',
        '{i}send_receipt(order, "{v}")',
    ],
    "md": [
        "Contact: {v}",
        "- Owner: Jane ({v})",
        "For refunds, reach {v}.",
        "| {first} | {v} | active |",
    ],
    "sql": [
        "INSERT INTO customers (id, {name}) VALUES ({id}, '{v}');",
        "UPDATE accounts SET {name} = '{v}' WHERE id = {id};",
        "SELECT * FROM users WHERE {name} = '{v}';",
        "  ({id}, '{first}', '{v}'),",
    ],
    "csv": ["{id},{first},{last},{v},active", '{id};"{first}";"{v}"', "{first},{v}", "{v},{id}"],
    "log": [
        "2024-03-0{d} 10:1{d}:22 INFO login ok user={first} {name}={v}",
        "[{id}] request from {v} took 12ms",
        "WARN payment failed for {v}",
        "DEBUG {name}={v}",
    ],
}

SECRET_ONLY_TEMPLATES: dict[str, list[str]] = {
    "sh": [
        'curl -H "Authorization: Bearer {v}" https://api.internal/v1/jobs',
        "curl -u admin:{v} https://ci.internal/api",
        'docker login -u deploy -p "{v}" registry.internal',
        "git clone https://x-access-token:{v}@github.com/org/repo.git",
    ],
    "py": [
        '{i}headers = {{"Authorization": "Bearer {v}"}}',
        '{i}session.headers["X-Api-Key"] = "{v}"',
        '{i}requests.get(url, auth=("admin", "{v}"))',
        '{i}{fn}("{v}")',
    ],
    "js": [
        "{i}headers: {{ Authorization: `Bearer {v}` }},",
        "{i}axios.defaults.headers.common['X-Api-Key'] = '{v}';",
        '{i}const client = new Client("{v}");',
        "{i}fetch(url, {{ headers: {{ token: '{v}' }} }});",
    ],
}

DIRS = words(
    "src/app config deploy scripts lib internal/api services/billing backend web/src "
    "tests/fixtures tests infra cmd/server pkg/client docs tools ops/ansible app/core "
    "src/main/java/com/acme api/v2 server etc examples/demo"
)
STEMS = words(
    "settings config client main seed_data users billing notify api constants local handlers "
    "migrate fixtures sample values secrets prod staging bootstrap init worker mailer "
    "integration credentials"
)
FUNCS = words("Client connect configure Session init_app create_client Api setup login")
LANG_EXT = {
    "py": ".py", "js": ".ts", "go": ".go", "rb": ".rb", "java": ".java", "yml": ".yml",
    "json": ".json", "sh": ".sh", "toml": ".toml", "ini": ".cfg", "md": ".md", "sql": ".sql",
    "csv": ".csv", "log": ".log",
}  # fmt: skip


def _cases(name: str) -> dict[str, str]:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace(".", "_")
    return {
        "name": name,
        "NAME": snake.upper(),
        "Name": "".join(p.title() for p in snake.split("_")),
    }


def _path(rng: random.Random, lang: str, test: bool) -> str:
    if lang == "env":
        return rng.choice(
            [
                *half([".env", "deploy/.env.production", ".env.local", "docker/app.env"], test),
                ".env.staging",
            ]
        )
    if lang == "yml" and rng.random() < 0.3:
        return f".github/workflows/{rng.choice(half(STEMS, test))}.yml"
    return f"{rng.choice(half(DIRS, test))}/{rng.choice(half(STEMS, test))}{LANG_EXT[lang]}"


def _render(template: str, value: str, fields: dict[str, str]) -> tuple[str, int, int]:
    """The line with `{v}` replaced, and the span of the value in it."""
    marker = "\x00"
    text = template.replace("{v}", marker)
    text = text.format(**fields)
    start = text.index(marker)
    return text.replace(marker, value, 1), start, start + len(value)


def plant(rng: random.Random, kind: PiiType, test: bool) -> Planted:
    """A synthesised line (or PEM snippet) carrying one value of `kind`."""
    value = VALUE_GENERATORS[kind](rng, test)
    pools = dict(CODE_TEMPLATES)
    extra = PII_ONLY_TEMPLATES if kind in PII_TYPES else SECRET_ONLY_TEMPLATES
    for lang, items in extra.items():
        pools[lang] = pools.get(lang, []) + items
    if kind is PiiType.PRIVATE_KEY:
        pools = {
            "py": ['{i}{NAME} = """{v}"""'],
            "yml": ["{i}{name}: |\n{v}"],
            "env": ['{NAME}="{v}"'],
        }
        pools["pem"] = ["{v}"]
    if kind is PiiType.AWS_SECRET_KEY or kind is PiiType.PASSWORD_ASSIGNMENT:
        pools = dict(CODE_TEMPLATES)  # these rules need an assignment to a named variable
    if kind in (PiiType.PASSPORT, PiiType.NATIONAL_ID):
        # Without its name nearby a passport number is just a number: keep named contexts.
        pools = {
            lang: [t for t in items if "ame}" in t or "{NAME}" in t]
            for lang, items in pools.items()
        }
        pools = {lang: items for lang, items in pools.items() if items}
    lang = rng.choice(sorted(pools))
    templates = half(pools[lang], test) if len(pools[lang]) >= 4 else pools[lang]
    template = rng.choice(templates)
    name = rng.choice(half(NAMES[kind], test))
    fields = {
        "i": rng.choice(["", "    ", "        ", "  "]),
        "fn": rng.choice(half(FUNCS, test)),
        "first": rng.choice(["Ana", "Ben", "Chen", "Dara", "Eli", "Femi"]),
        "last": rng.choice(["Lopez", "Berg", "Okoro", "Ito", "Shah"]),
        "id": str(rng.randint(1, 99999)),
        "d": str(rng.randint(1, 9)),
        **_cases(name),
    }
    if lang == "env" and kind is not PiiType.PRIVATE_KEY:
        value = value.replace("\n", "")
    text, start, end = _render(template, value, fields)
    path = "keys/deploy_key.pem" if lang == "pem" else _path(rng, lang, test)
    return Planted(path=path, text=text, start=start, end=end, kind=kind)
