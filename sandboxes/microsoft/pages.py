"""Server-rendered HTML: page shell, the sign-in/consent screen (account picker) and error pages."""

from __future__ import annotations

from html import escape

from .tokens import AuthRequest

STYLE = """
body{font-family:"Segoe UI",system-ui,-apple-system,Roboto,sans-serif;margin:0;background:#f2f2f2;color:#1b1b1b}
main{max-width:1100px;margin:24px auto;padding:0 16px}
.card{background:#fff;box-shadow:0 2px 6px rgba(0,0,0,.2);padding:24px;margin-bottom:16px}
.consent{max-width:440px;margin:48px auto}
h1{font-size:1.5rem;font-weight:600} h2{font-size:1.1rem;font-weight:600} h3{font-size:1rem;margin:16px 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e1e1e1;vertical-align:top}
.swatch{display:inline-block;width:14px;height:14px;vertical-align:middle;margin-right:6px;
border:1px solid rgba(0,0,0,.25)} .muted{color:#605e5c} .chip{display:inline-block;padding:0 6px;margin:2px;
border-radius:2px;font-size:.8rem}
button{font:inherit;padding:6px 14px;border:1px solid #8a8886;background:#fff;cursor:pointer}
button.primary{background:#0067b8;color:#fff;border-color:#0067b8}
.accounts label{display:block;padding:8px;border:1px solid #c8c6c4;margin:6px 0;cursor:pointer}
.row-form{display:flex;flex-wrap:wrap;gap:6px;align-items:end} .row-form label{font-size:.8rem;display:block}
.actions{display:flex;flex-direction:row-reverse;gap:12px;justify-content:flex-start;margin-top:16px}
"""

PERMISSIONS = {
    "Calendars.ReadWrite": "Have full access to your calendars",
    "Calendars.Read": "Read your calendars",
    "User.Read": "Sign you in and read your profile",
    "offline_access": "Maintain access to data you have given it access to",
    "openid": "Sign you in",
    "email": "View your email address",
    "profile": "View your basic profile",
}


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def error_page(code: str, description: str) -> str:
    return page(
        "Sign in to your account",
        "<div class='card consent' role='alert'><h1>Sorry, but we're having trouble signing you in.</h1>"
        f"<p><strong>{escape(code)}</strong></p><p>{escape(description)}</p></div>",
    )


def consent_page(request: AuthRequest, accounts: list[str], action: str) -> str:
    chosen = (request.login_hint or "").lower()
    if chosen not in accounts:
        chosen = accounts[0] if accounts else ""
    radios = "".join(
        f"<label for='account-{i}'><input type='radio' id='account-{i}' name='account' "
        f"value='{escape(email)}'{' checked' if email == chosen else ''}> {escape(email)}</label>"
        for i, email in enumerate(accounts)
    )
    other = escape(request.login_hint or "") if (request.login_hint or "").lower() not in accounts else ""
    wanted = "".join(f"<li>{escape(PERMISSIONS.get(s, s))} <span class='muted'>({escape(s)})</span></li>"
                     for s in request.scopes)  # fmt: skip
    body = f"""
<div class='card consent'>
  <h1>Microsoft (sandbox)</h1>
  <form method='post' action='{escape(action)}'>
    <input type='hidden' name='request_id' value='{escape(request.id)}'>
    <fieldset class='accounts'><legend>Pick an account</legend>{radios}
      <label for='other-email'>Use another account
        <input type='email' id='other-email' name='other_email' value='{other}' placeholder='someone@example.com'>
      </label>
    </fieldset>
    <h2>Permissions requested</h2>
    <p><strong>{escape(request.client_id)}</strong> needs permission to:</p><ul>{wanted}</ul>
    <div class='actions'>
      <button type='submit' name='decision' value='accept' class='primary'>Accept</button>
      <button type='submit' name='decision' value='cancel'>Cancel</button>
    </div>
  </form>
</div>"""
    return page("Sign in to your account (sandbox)", body)
