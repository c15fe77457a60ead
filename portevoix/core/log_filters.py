"""A logging filter that masks credentials in log records, installed on the handlers in settings.LOGGING.

The last line of defence: code should never log a secret (``Secret`` values print as ``***``), but an
HTTP client logs URLs, a network echoes a token in an error body, an exception message quotes a header.
Masked: ``Bearer`` and ``Basic`` credentials, Portevoix API tokens (``pvx_<prefix>_***``: the prefix stays,
it identifies the token), vault ciphertexts, OAuth parameters in query strings and forms
(``access_token=***``) and in JSON or Python dicts, Telegram bot tokens, Discord and Slack webhook URLs.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_SECRET_NAMES = (
    r"access_token|refresh_token|id_token|client_secret|oauth_token_secret|oauth_token|oauth_verifier"
    r"|api_key|apikey|app_password|password|passwd|token|secret"
)
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer <token> (in headers, curl lines, error texts).
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/-]{8,}=*"), r"\1" + MASK),
    (re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?basic\s+)[A-Za-z0-9+/]+=*"), r"\1" + MASK),
    # Portevoix API tokens: pvx_<prefix>_<secret>.
    (re.compile(r"\b(pvx_[A-Za-z0-9]+_)[A-Za-z0-9_-]+"), r"\1" + MASK),
    # Vault ciphertexts: vault:v1:<key id>:<payload> (the key id stays: it helps to diagnose).
    (re.compile(r"\b(vault:v[0-9]+:[A-Za-z0-9_-]{1,32}:)[A-Za-z0-9_-]+"), r"\1" + MASK),
    # Query strings and forms: access_token=...&  (also client_secret, refresh_token, password...).
    (re.compile(rf"(?i)(?<![A-Za-z0-9])((?:[A-Za-z0-9]+_)*(?:{_SECRET_NAMES})=)[^&\s\"'#;,]+"), r"\1" + MASK),
    # JSON bodies and Python dicts: "access_token": "..." or 'password': '...'.
    (re.compile(rf"""(?i)(["'](?:[A-Za-z0-9]+_)*(?:{_SECRET_NAMES})["']\s*:\s*["'])[^"']+"""), r"\1" + MASK),
    # Telegram bot tokens: https://api.telegram.org/bot<digits>:<secret>/... and bare ones.
    (re.compile(r"(/bot)[0-9]{5,}:[A-Za-z0-9_-]{20,}"), r"\1" + MASK),
    (re.compile(r"\b[0-9]{6,12}:AA[A-Za-z0-9_-]{33}\b"), MASK),
    # Webhook URLs whose path is the credential.
    (re.compile(r"(/api/webhooks/[0-9]+/)[A-Za-z0-9_-]+"), r"\1" + MASK),
    (re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/-]+"), r"\1" + MASK),
)


def redact(text: str) -> str:
    """``text`` with every known credential pattern masked."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Masks credentials in the message, the traceback and the stack of every record; drops none."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it as usual
            return True
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
