"""The HTML pages behind the mailed links (served when APP_FRONTEND_URL is unset): plain server-rendered
forms that post to their own path and work without JavaScript, with one small inline style allowed by
its hash in their Content-Security-Policy. Every value written into a page is escaped.

The token of the link is only carried into the form: the page's GET never uses it, so a link scanner or
a prefetcher that opens the link changes nothing; the form's POST (to the page's path, without the
query) does. The pages link nowhere with the token: the sign-in link is the API's documentation."""

import base64
import hashlib
from html import escape

from domain.users import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

SERVICE_NAME = "Users & posts"
SIGN_IN_LINK = "docs#/auth/auth-token"  # relative: the pages live at the API's root, as /docs does

STYLE = (
    "body{margin:0;font:1rem/1.5 system-ui,sans-serif;color:#1b1b1f;background:#f4f4f6}"
    "main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:1.4rem;margin:0 0 1rem}"
    "label{display:block;font-weight:600;margin-top:1rem}"
    "input{box-sizing:border-box;width:100%;padding:.5rem;margin-top:.25rem;font:inherit;"
    "border:1px solid #6b6b76;border-radius:4px}"
    "input[aria-invalid=true]{border-color:#b00020}"
    "button{margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit;color:#fff;background:#1f4fbf;"
    "border:0;border-radius:4px;cursor:pointer}"
    ":focus-visible{outline:3px solid #f0a500;outline-offset:2px}"
    ".hint{margin:.25rem 0 0;font-size:.9rem;color:#4a4a55}"
    ".alert{padding:.75rem;border-left:4px solid #b00020;background:#fdecee;color:#6b0012}"
    ".done{padding:.75rem;border-left:4px solid #1e7b34;background:#e9f6ec}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""What the pages may load and where their forms may go: their own style, their own path; nothing else."""

PASSWORDS_DIFFER = "The two passwords differ: type the same new password twice"
LINK_INCOMPLETE = "This link is incomplete: open the whole link from the mail, or ask for a new one"


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {SERVICE_NAME}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>\n"
    )


def _alert(message: str | None) -> str:
    """The error of the last try, announced by screen readers as the page appears (role="alert")."""
    return f'<p id="problem" class="alert" role="alert">{escape(message)}</p>' if message else ""


def _token_field(token: str) -> str:
    return f'<input type="hidden" name="token" value="{escape(token)}">'


def reset_password_form(action: str, token: str, error: str | None = None) -> str:
    """The form choosing a new password, entered twice; `error` says what was wrong with the last try."""
    invalid = ' aria-invalid="true"' if error else ""
    described = "password-rules problem" if error else "password-rules"
    length = f'minlength="{PASSWORD_MIN_LENGTH}" maxlength="{PASSWORD_MAX_LENGTH}"'
    return _page(
        "Choose a new password",
        f"{_alert(error)}"
        f'<form method="post" action="{escape(action)}">{_token_field(token)}'
        '<label for="new-password">New password</label>'
        f'<input id="new-password" name="new_password" type="password" autocomplete="new-password" '
        f'required {length} aria-describedby="{described}"{invalid} autofocus>'
        f'<p id="password-rules" class="hint">{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters.</p>'
        '<label for="password-again">New password, again</label>'
        f'<input id="password-again" name="new_password_again" type="password" '
        f'autocomplete="new-password" required {length}{invalid}>'
        '<button type="submit">Set the new password</button></form>',
    )


def password_reset_done() -> str:
    return _page(
        "Your password is changed",
        '<p class="done" role="status">Every session signed in with the old password has ended. '
        "Sign in again with the new one.</p>"
        f'<p><a href="{SIGN_IN_LINK}">Sign in</a></p>',
    )


def verify_email_form(action: str, token: str, error: str | None = None) -> str:
    """The button confirming the address: only pressing it uses the link."""
    return _page(
        "Confirm your email address",
        f"{_alert(error)}"
        "<p>Press the button to confirm that this email address is yours.</p>"
        f'<form method="post" action="{escape(action)}">{_token_field(token)}'
        '<button type="submit">Confirm my email address</button></form>',
    )


def email_verified() -> str:
    return _page(
        "Your email address is confirmed",
        '<p class="done" role="status">Thank you: mail about your account goes to this address.</p>',
    )


def broken_link(title: str, message: str) -> str:
    """A link that cannot be used (expired, used, incomplete): what to do instead, and no form."""
    return _page(title, _alert(message))
