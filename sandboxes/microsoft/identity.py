"""Microsoft identity platform v2: /{tenant}/oauth2/v2.0/authorize (consent screen) and /token, OIDC metadata."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect

from . import pages
from .context import Sandbox, sandbox_of
from .errors import AadError
from .responses import respond
from .tokens import AuthRequest, normalise_scopes

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
AUTHORITY = "/{tenant:str}/oauth2/v2.0"
_TOKEN_OPT = {"fault_scope": "token", "graph_op": "identity.token"}


def _html(content: str, status: int = 200) -> Response[Any]:
    return Response(content=content, status_code=status, media_type=MediaType.HTML)


def _redirect(uri: str, params: dict[str, str]) -> Redirect:
    return Redirect(uri + ("&" if urlsplit(uri).query else "?") + urlencode(params), status_code=302)


def _check_tenant(sb: Sandbox, tenant: str) -> None:
    if tenant.lower() in ("common", "organizations", "consumers"):
        return
    if _GUID.match(tenant) and tenant.lower() in sb.store.tenants():
        return
    raise AadError(90002, tenant)


def _redirect_allowed(sb: Sandbox, uri: str) -> bool:
    """Registered redirect URIs match exactly; with none registered, any loopback http(s) URI is accepted."""
    if sb.settings.redirect_uris:
        return uri in sb.settings.redirect_uris
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOOPBACK


def _accounts_for(sb: Sandbox, tenant: str, hint: str | None) -> list[str]:
    accounts = list(sb.settings.seed_accounts)
    if hint and hint.lower() not in accounts and sb.store.account(hint) is not None:
        accounts.insert(0, hint.lower())
    if _GUID.match(tenant):
        accounts = [a for a in accounts if sb.identity(a).tid == tenant.lower()]
    return accounts


@get(AUTHORITY + "/authorize", opt={"graph_op": "identity.authorize"})
async def authorize(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
    sb = sandbox_of(request)
    q = request.query_params
    try:
        _check_tenant(sb, tenant)
        for name in ("client_id", "redirect_uri"):
            if not q.get(name):
                raise AadError(900144, name)
        client_id, redirect_uri = q["client_id"], q["redirect_uri"]
        if sb.settings.client_id and client_id != sb.settings.client_id:
            raise AadError(700016, client_id)
        if not _redirect_allowed(sb, redirect_uri):
            raise AadError(50011, redirect_uri, client_id)
    except AadError as exc:
        return _html(pages.error_page(f"AADSTS{exc.number}", exc.description), 400)
    state = q.get("state")
    extra = {"state": state} if state is not None else {}

    def fail(exc: AadError) -> Redirect:
        return _redirect(redirect_uri, {"error": exc.error, "error_description": exc.description, **extra})

    if q.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type",
                                        "error_description": "AADSTS700054: response_type 'id_token' is not "
                                        "enabled for the application.", **extra})  # fmt: skip
    try:
        scopes = normalise_scopes(q.get("scope") or "")
    except AadError as exc:
        return fail(exc)
    challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
    if not challenge or method != "S256" or not re.fullmatch(r"[A-Za-z0-9\-_]{43}", challenge):
        return fail(AadError(9002325))
    auth = AuthRequest(
        client_id=client_id, tenant=tenant, redirect_uri=redirect_uri, scopes=scopes, state=state,
        code_challenge=challenge, code_challenge_method=method, nonce=q.get("nonce"), login_hint=q.get("login_hint"),
        prompt=q.get("prompt"),
    )  # fmt: skip
    sb.tokens.remember_request(auth)
    action = f"/{tenant}/oauth2/v2.0/consent"
    return _html(pages.consent_page(auth, _accounts_for(sb, tenant, auth.login_hint), action))


@post(AUTHORITY + "/consent", opt={"graph_op": "identity.consent"})
async def consent(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
    sb = sandbox_of(request)
    form = await _form(request)
    auth = sb.tokens.take_request(form.get("request_id", ""))
    if auth is None:
        return _html(pages.error_page("AADSTS90014", "This sign-in request expired; start again."), 400)
    extra = {"state": auth.state} if auth.state is not None else {}
    if form.get("decision") != "accept":
        denied = AadError(65004)
        return _redirect(auth.redirect_uri, {"error": "access_denied", "error_subcode": "cancel",
                                             "error_description": denied.description, **extra})  # fmt: skip
    email = (form.get("other_email") or form.get("account") or "").strip().lower()
    action = f"/{auth.tenant}/oauth2/v2.0/consent"
    if not _EMAIL.match(email):
        sb.tokens.remember_request(auth)
        return _html(pages.consent_page(auth, _accounts_for(sb, auth.tenant, auth.login_hint), action), 400)
    if _GUID.match(auth.tenant) and sb.identity(email).tid != auth.tenant.lower():
        exc = AadError(50020, email, auth.tenant)
        return _html(pages.error_page(f"AADSTS{exc.number}", exc.description), 400)
    sb.store.ensure_account(email)
    code = sb.tokens.issue_code(auth, email)
    return _redirect(auth.redirect_uri, {"code": code, **extra, "session_state": str(uuid.uuid4())})


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _client(sb: Sandbox, request: Request[Any, Any, Any], form: dict[str, str]) -> str:
    """client_secret_post or HTTP Basic; the secret is enforced only when the sandbox was given one."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AadError(7000215, status=401) from exc
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, secret = unquote(basic_id), unquote(basic_secret)
    if not client_id:
        raise AadError(900144, "client_id")
    if sb.settings.client_id and client_id != sb.settings.client_id:
        raise AadError(700016, client_id, status=400)
    if sb.settings.client_secret:
        if not secret:
            raise AadError(7000218, status=401)
        if not secrets.compare_digest(secret, sb.settings.client_secret):
            raise AadError(7000215, status=401)
    return client_id


@post(AUTHORITY + "/token", opt=_TOKEN_OPT)
async def token(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
    sb = sandbox_of(request)
    _check_tenant(sb, tenant)
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise AadError(900144, "grant_type")
    form = await _form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise AadError(900144, "grant_type")
    client_id = _client(sb, request, form)
    headers = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
    if grant_type == "authorization_code":
        for name in ("code", "redirect_uri"):
            if not form.get(name):
                raise AadError(900144, name)
        body = sb.tokens.exchange_code(
            form["code"], client_id, form["redirect_uri"], form.get("code_verifier"), form.get("scope")
        )
        return respond(body, headers=headers)
    if grant_type == "refresh_token":
        if not form.get("refresh_token"):
            raise AadError(900144, "refresh_token")
        return respond(sb.tokens.refresh(form["refresh_token"], client_id, form.get("scope")), headers=headers)
    raise AadError(70003, grant_type)


@get(["/{tenant:str}/v2.0/.well-known/openid-configuration"], opt={"graph_op": "identity.metadata"})
async def openid_configuration(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
    base = sandbox_of(request).base_url
    return respond({
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{{tenantid}}/v2.0",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "nonce", "oid",
                             "preferred_username", "email", "tid", "ver"],
    })  # fmt: skip


ROUTES = [authorize, consent, token, openid_configuration]
