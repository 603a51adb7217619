"""Single sign-on through an OpenID Connect provider, with Authlib's Flask client.

Authlib does the protocol: discovery (`<issuer>/.well-known/openid-configuration`), the
authorization code flow with PKCE (S256), a random state and nonce kept in the session
and checked on the way back, and the ID token verified against the provider's JWKS
(signature, issuer, audience, expiry, nonce). Here: one client per app, timeouts on every
call to the provider, the checks Authlib leaves to us (the discovered issuer is the one
configured, the `iss` of the answer, an ID token at all), and every failure turned into
a `SignOnFailed` with a status and words for a person.
"""
import logging
import re
from contextlib import contextmanager

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import current_app, request
from joserfc.errors import JoseError

from webapp.services.accounts.identities import ProviderIdentity

log = logging.getLogger(__name__)

CLIENT = "scanlink.oidc"
DISCOVERY = "/.well-known/openid-configuration"
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


class SignOnFailed(Exception):
    """A 4xx when the answer is refused, a 502 or 503 when the provider is at fault."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def init_app(app):
    """Registers the client when OIDC_ISSUER is set; nothing is fetched until a log-in."""
    issuer = app.config["OIDC_ISSUER"]
    if not issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        "oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer.rstrip("/") + DISCOVERY,
        client_kwargs={
            "scope": app.config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": app.config["OIDC_TIMEOUT"],
        },
    )
    app.extensions[CLIENT] = oauth.create_client("oidc")


def enabled():
    return CLIENT in current_app.extensions


def provider_name():
    return current_app.config["OIDC_NAME"]


def authorization_redirect(redirect_uri):
    """The redirect to the provider; the state, nonce and PKCE verifier wait in the session."""
    client = current_app.extensions[CLIENT]
    with _provider_calls():
        _metadata(client)
        return client.authorize_redirect(redirect_uri)


def identity_from_callback():
    """The person the provider's answer names, after every check; raises SignOnFailed."""
    client = current_app.extensions[CLIENT]
    error = request.args.get("error")
    if error:
        code = f" ({error})" if _ERROR_CODE.fullmatch(error) else ""
        raise SignOnFailed(401, f"{provider_name()} did not log you in{code}. Nothing was changed.")
    if not request.args.get("code") or not request.args.get("state"):
        raise SignOnFailed(400, "The answer from the provider is incomplete. Start again from the "
                                "log-in page.")
    with _provider_calls():
        metadata = _metadata(client)
        # RFC 9207: a provider that names itself in the answer must name the one we asked.
        issuer = request.args.get("iss")
        if issuer != metadata["issuer"] and (
                issuer is not None or metadata.get("authorization_response_iss_parameter_supported")):
            raise SignOnFailed(400, "The answer came from another provider than the one asked.")
        try:
            token = client.authorize_access_token()
        except OAuthError as exc:
            log.info("single sign-on refused: %s", exc)
            raise SignOnFailed(400, "This log-in link is not valid (expired, used already, or "
                                    "started in another browser). Start again from the log-in page.")
        except requests.RequestException:
            raise
        except (JoseError, ValueError) as exc:
            log.warning("single sign-on: the ID token failed its checks: %r", exc)
            raise SignOnFailed(400, "The provider's answer could not be verified. Nothing was changed.")
        claims = token.get("userinfo")
        if not claims:
            raise SignOnFailed(502, "The provider sent no ID token, so nobody can be logged in.")
        email, verified = claims.get("email"), claims.get("email_verified")
        if email is None and metadata.get("userinfo_endpoint"):
            info = client.userinfo(token=token)
            if info.get("sub") == claims["sub"]:  # OpenID Connect Core 5.3.2
                email, verified = info.get("email"), info.get("email_verified")
    return ProviderIdentity(issuer=claims["iss"], subject=claims["sub"],
                            email=email if isinstance(email, str) else None,
                            email_verified=verified is True or verified == "true")


def _metadata(client):
    metadata = client.load_server_metadata()
    configured = current_app.config["OIDC_ISSUER"]
    if str(metadata.get("issuer", "")).rstrip("/") != configured.rstrip("/"):
        log.error("single sign-on: %s describes itself as issuer %r", configured,
                  metadata.get("issuer"))
        raise SignOnFailed(502, f"{provider_name()} is not set up correctly (its discovery "
                                "document names another issuer).")
    return metadata


@contextmanager
def _provider_calls():
    try:
        yield
    except (requests.ConnectionError, requests.Timeout) as exc:
        log.warning("single sign-on: the provider is not answering: %s", exc)
        raise SignOnFailed(503, f"{provider_name()} is not answering right now. Try again in a "
                                "few minutes, or log in with your password.")
    except requests.RequestException as exc:
        log.warning("single sign-on: the provider's answer was not usable: %s", exc)
        raise SignOnFailed(502, f"{provider_name()} answered in a way we could not use. Try "
                                "again later, or log in with your password.")
