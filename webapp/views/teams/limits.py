"""Invitations send mail to any address a member types: a limit per inviting user, shared
by the page and the API, so an account cannot be used to flood someone's inbox."""
from flask import current_app, g
from flask_login import current_user

from webapp.extensions import limiter


def invitation_limit():
    return current_app.config["RATELIMIT_INVITATIONS"]


def inviter():
    # The API's guard has run already (a before_request); the page's user is the session's.
    api_actor = g.get("api_actor")
    if api_actor is not None:
        return f"user:{api_actor.user_id}"
    return f"user:{current_user.get_id().partition(':')[0]}" if current_user.is_authenticated else "anon"


invitations_per_user = limiter.shared_limit(invitation_limit, scope="invitations", key_func=inviter,
                                            methods=["POST"])
