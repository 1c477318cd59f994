"""Server-rendered HTML: the page shell, the OAuth consent screen and OAuth error pages."""

from __future__ import annotations

from html import escape

from .tokens import AuthRequest

# Google's wording next to a scope on its consent screen; unknown scopes are shown as they are.
SCOPE_DESCRIPTIONS = {
    "https://www.googleapis.com/auth/calendar": "See, edit, share, and permanently delete all the calendars you "
    "can access using Google Calendar",
    "https://www.googleapis.com/auth/calendar.readonly": "See and download any calendar you can access using your "
    "Google Calendar",
    "https://www.googleapis.com/auth/calendar.events": "View and edit events on all your calendars",
}

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f1f3f4;color:#202124}
main{max-width:1100px;margin:24px auto;padding:0 16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.2);padding:24px;margin-bottom:16px}
.consent{max-width:460px;margin:48px auto}
h1{font-size:1.5rem;font-weight:400} h2{font-size:1.2rem;font-weight:500} h3{font-size:1rem;margin:16px 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e0e0e0;vertical-align:top}
.swatch{display:inline-block;width:14px;height:14px;border-radius:50%;vertical-align:middle;
margin-right:6px;border:1px solid rgba(0,0,0,.2)} .muted{color:#5f6368} .cancelled{opacity:.55}
button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #dadce0;background:#fff;
cursor:pointer} button.primary{background:#1a73e8;color:#fff;border-color:#1a73e8}
.accounts label{display:block;padding:8px;border:1px solid #dadce0;border-radius:4px;margin:6px 0;
cursor:pointer}
.row-form{display:flex;flex-wrap:wrap;gap:6px;align-items:end} .row-form label{font-size:.8rem;display:block}
.scopes{list-style:none;padding:0} .scopes label{display:block;padding:6px 0;cursor:pointer}
.actions{display:flex;flex-direction:row-reverse;gap:12px;justify-content:flex-start;margin-top:16px}
"""


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def error_page(code: int, error: str, description: str) -> str:
    return page(
        f"Error {code}: {error}",
        "<div class='card consent' role='alert'><h1>Access blocked: authorization error</h1>"
        f"<p><strong>Error {code}: {escape(error)}</strong></p><p>{escape(description)}</p></div>",
    )


def consent_page(request: AuthRequest, accounts: list[str]) -> str:
    chosen = (request.login_hint or "").lower()
    if chosen not in accounts:
        chosen = accounts[0] if accounts else ""
    radios = "".join(
        f"<label for='account-{i}'><input type='radio' id='account-{i}' name='account' "
        f"value='{escape(email)}'{' checked' if email == chosen else ''}> {escape(email)}</label>"
        for i, email in enumerate(accounts)
    )
    other = escape(request.login_hint or "") if (request.login_hint or "").lower() not in accounts else ""
    scopes = "".join(
        f"<li><label for='scope-{i}'><input type='checkbox' id='scope-{i}' name='scope' value='{escape(scope)}' "
        f"checked> {escape(SCOPE_DESCRIPTIONS.get(scope, scope))}</label></li>"
        for i, scope in enumerate(request.optional_scopes)
    )
    body = f"""
<div class='card consent'>
  <h1>Sign in with Google (sandbox)</h1>
  <p><strong>{escape(request.client_id)}</strong> wants to access your Google Account.</p>
  <form method='post' action='/o/oauth2/v2/auth/decision'>
    <input type='hidden' name='request_id' value='{escape(request.id)}'>
    <fieldset class='accounts'><legend>Choose an account</legend>{radios}
      <label for='other-email'>Use another account
        <input type='email' id='other-email' name='other_email' value='{other}'
          placeholder='name@example.com'>
      </label>
    </fieldset>
    <h2>Select what {escape(request.client_id)} can access</h2>
    <p class='muted'>Your name, email address and profile picture are always shared.</p>
    <input type='hidden' name='scope_choice' value='1'>
    <ul class='scopes'>{scopes}</ul>
    <div class='actions'>
      <button type='submit' name='decision' value='allow' class='primary'>Allow</button>
      <button type='submit' name='decision' value='deny'>Cancel</button>
    </div>
  </form>
</div>"""
    return page("Sign in - Google Accounts (sandbox)", body)
