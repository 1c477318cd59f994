"""OAuth 2.0 endpoints: authorize (consent screen), token, revoke, userinfo, tokeninfo, OIDC metadata, and the
admin switches of the client's registration (redirect URIs, refresh-token rotation)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from litestar import Request, Response, get, post, route
from litestar.enums import MediaType
from litestar.response import Redirect

from . import pages
from .auth import bearer_token
from .context import Sandbox, sandbox_of
from .errors import OAuthError
from .responses import respond
from .tokens import BASIC_SCOPES, AuthRequest, google_spelling

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOKEN_OPT = {"fault_scope": "token", "google_method": "oauth2.token"}


def _html(content: str, status: int = 200) -> Response[Any]:
    return Response(content=content, status_code=status, media_type=MediaType.HTML)


def _redirect(uri: str, params: dict[str, str]) -> Redirect:
    separator = "&" if urlsplit(uri).query else "?"
    return Redirect(uri + separator + urlencode(params), status_code=303)


@get(["/o/oauth2/v2/auth", "/o/oauth2/auth"], opt={"google_method": "oauth2.authorize"})
async def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    q = request.query_params
    for name in ("client_id", "redirect_uri", "response_type", "scope"):
        if not q.get(name):
            return _html(pages.error_page(400, "invalid_request", f"Missing required parameter: {name}"), 400)
    client_id, redirect_uri = q["client_id"], q["redirect_uri"]
    if sb.settings.client_id and client_id != sb.settings.client_id:
        return _html(pages.error_page(401, "invalid_client", "The OAuth client was not found."), 401)
    if not urlsplit(redirect_uri).scheme.startswith("http"):
        return _html(pages.error_page(400, "invalid_request", "Invalid parameter value for redirect_uri"), 400)
    if not sb.tokens.redirect_uri_registered(redirect_uri):
        description = (
            "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the "
            f"app developer, register the redirect URI in the Google Cloud Console. Request details: "
            f"redirect_uri={redirect_uri}"
        )
        return _html(pages.error_page(400, "redirect_uri_mismatch", description), 400)
    state = q.get("state")
    extra = {"state": state} if state is not None else {}
    if q["response_type"] != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", **extra})
    method = q.get("code_challenge_method") or ("plain" if q.get("code_challenge") else "S256")
    challenge = q.get("code_challenge")
    if method not in ("S256", "plain") or (challenge and not re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", challenge)):
        return _html(pages.error_page(400, "invalid_request", "Invalid code_challenge_method or code_challenge"), 400)
    auth = AuthRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=q["scope"],
        state=state,
        code_challenge=challenge,
        code_challenge_method=method,
        access_type=q.get("access_type") or "online",
        nonce=q.get("nonce"),
        login_hint=q.get("login_hint"),
        prompt=q.get("prompt") or "",
        include_granted_scopes=q.get("include_granted_scopes") == "true",
    )
    sb.tokens.remember_request(auth)
    return _html(pages.consent_page(auth, _picker_accounts(sb, auth)))


def _picker_accounts(sb: Sandbox, auth: AuthRequest) -> list[str]:
    """The seeded accounts, plus the login_hint when it names a known account."""
    accounts = list(sb.settings.seed_accounts)
    hint = (auth.login_hint or "").strip().lower()
    if hint and hint not in accounts and sb.store.account(hint) is not None:
        accounts.insert(0, hint)
    return accounts


@post("/o/oauth2/v2/auth/decision", opt={"google_method": "oauth2.consent"})
async def decide(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    form = await _form(request)
    auth = sb.tokens.take_request(form.get("request_id", ""))
    if auth is None:
        return _html(pages.error_page(400, "invalid_request", "This sign-in request expired; start again."), 400)
    extra = {"state": auth.state} if auth.state is not None else {}
    if form.get("decision") != "allow":
        return _redirect(auth.redirect_uri, {"error": "access_denied", **extra})
    email = (form.get("other_email") or form.get("account") or "").strip().lower()
    if not _EMAIL.match(email):
        sb.tokens.remember_request(auth)
        return _html(pages.consent_page(auth, _picker_accounts(sb, auth)), 400)
    sb.store.ensure_account(email)
    granted = google_spelling(" ".join(await _granted_scopes(request, auth, form)))
    code = sb.tokens.issue_code(auth, email, granted)
    return _redirect(auth.redirect_uri, {**extra, "code": code, "scope": granted, "authuser": "0"})


async def _granted_scopes(request: Request[Any, Any, Any], auth: AuthRequest, form: dict[str, str]) -> list[str]:
    """The basic sign-in scopes, plus the optional ones left ticked on the consent screen. A decision posted
    without the screen's checkboxes (a script) grants everything requested."""
    requested = list(dict.fromkeys(auth.scope.split()))
    if "scope_choice" not in form:
        return requested
    raw = (await request.body()).decode("utf-8", "replace")
    ticked = {value for key, value in parse_qsl(raw) if key == "scope"}
    return [scope for scope in requested if scope in BASIC_SCOPES or scope in ticked]


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", "replace")
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    form = dict(parse_qsl(raw, keep_blank_values=True))
    for key, value in request.query_params.items():
        form.setdefault(key, value)
    return form


def _client(sb: Sandbox, request: Request[Any, Any, Any], form: dict[str, str]) -> tuple[str, str | None]:
    """Client authentication: HTTP Basic or client_secret_post; enforced only when configured."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "Unauthorized", 401) from exc
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, secret = unquote(basic_id), unquote(basic_secret)
    if not client_id:
        raise OAuthError("invalid_request", "Could not determine client ID from request.")
    expected_id, expected_secret = sb.settings.client_id, sb.settings.client_secret
    if expected_id and client_id != expected_id:
        raise OAuthError("invalid_client", "The OAuth client was not found.", 401)
    if expected_secret:
        if not secret:
            raise OAuthError("invalid_request", "client_secret is missing.")
        if not secrets.compare_digest(secret, expected_secret):
            raise OAuthError("invalid_client", "Unauthorized", 401)
    return client_id, secret


@post("/token", opt=_TOKEN_OPT)
async def token(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    form = await _form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("unsupported_grant_type", "Invalid grant_type: ")
    client_id, secret = _client(sb, request, form)
    headers = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"}
    if grant_type == "authorization_code":
        if not form.get("code"):
            raise OAuthError("invalid_request", "Missing required parameter: code")
        body = sb.tokens.exchange_code(
            form["code"], client_id, form.get("redirect_uri"), form.get("code_verifier"), secret
        )
        return respond(body, headers=headers)
    if grant_type == "refresh_token":
        if not form.get("refresh_token"):
            raise OAuthError("invalid_request", "Missing required parameter: refresh_token")
        body = sb.tokens.refresh(form["refresh_token"], client_id, form.get("scope"), secret)
        return respond(body, headers=headers)
    raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")


@route("/revoke", http_method=["GET", "POST"], opt={"google_method": "oauth2.revoke"})
async def revoke(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    form = await _form(request) if request.method == "POST" else dict(request.query_params.items())
    value = form.get("token")
    if not value or not sb.tokens.revoke(value):
        raise OAuthError("invalid_token", "Token expired or revoked")
    return respond({})


@get(["/oauth2/v3/userinfo", "/oauth2/v2/userinfo", "/v1/userinfo"], opt={"google_method": "oauth2.userinfo"})
async def userinfo(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    value = bearer_token(request)
    access = sb.tokens.lookup(value) if value else None
    if access is None:
        return respond(
            {"error": "invalid_request", "error_description": "Invalid Credentials"},
            401,
            {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
        )
    account = sb.store.ensure_account(access.grant.email)
    return respond({"sub": account.sub, "name": account.name, "email": account.email, "email_verified": True})


@get(["/tokeninfo", "/oauth2/v3/tokeninfo"], opt={"google_method": "oauth2.tokeninfo"})
async def tokeninfo(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    value = request.query_params.get("access_token") or bearer_token(request)
    access = sb.tokens.lookup(value) if value else None
    if access is None:
        raise OAuthError("invalid_token", "Invalid Value")
    grant = access.grant
    return respond(
        {
            "azp": grant.client_id,
            "aud": grant.client_id,
            "sub": sb.store.ensure_account(grant.email).sub,
            "scope": grant.scope,
            "exp": str(int(access.expires_at)),
            "expires_in": str(max(0, int(access.expires_at - time.time()))),
            "email": grant.email,
            "email_verified": "true",
            "access_type": "offline" if grant.refresh_token else "online",
        }
    )


@get("/.well-known/openid-configuration", opt={"google_method": "oauth2.discovery"})
async def openid_configuration(request: Request[Any, Any, Any]) -> Response[Any]:
    base = sandbox_of(request).base_url
    return respond(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/o/oauth2/v2/auth",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/oauth2/v3/userinfo",
            "revocation_endpoint": f"{base}/revoke",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }
    )


@get("/_sandbox/oauth")
async def oauth_settings(request: Request[Any, Any, Any]) -> Response[Any]:
    """The client's settings; with ``?email=`` also that account's grants (scope, offline, revoked)."""
    tokens = sandbox_of(request).tokens
    email = request.query_params.get("email")
    return respond({**tokens.configure(), **({"grants": tokens.grants_of(email.lower())} if email else {})})


@post("/_sandbox/oauth")
async def oauth_configure(request: Request[Any, Any, Any]) -> Response[Any]:
    """``{"redirect_uris": [...]}`` registers more redirect URIs; ``{"rotate_refresh_tokens": bool}`` switches
    rotation. Answers the settings, with the number of refresh grants served so far."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    uris = body.get("redirect_uris", []) if isinstance(body, dict) else None
    rotate = body.get("rotate_refresh_tokens") if isinstance(body, dict) else None
    if (
        not isinstance(uris, list)
        or not all(isinstance(u, str) and urlsplit(u).scheme in ("http", "https") for u in uris)
        or rotate not in (None, True, False)
    ):
        return respond({"error": "expected {redirect_uris?: [http(s) URL], rotate_refresh_tokens?: bool}"}, 400)
    return respond(sandbox_of(request).tokens.configure(redirect_uris=uris, rotate=rotate))


ROUTES = [authorize, decide, token, revoke, userinfo, tokeninfo, openid_configuration, oauth_settings, oauth_configure]
