"""Who may do what: every view that reads or changes a workspace's data names the role it
needs with `@needs(role)`, and this is the one place that finds the acting member and
checks it, for pages and the API alike (jobs: services/jobs/queues.py and workers).

A browser acts in its current workspace (kept in the session, switched from the
navigation); an API key in the one workspace it was made for. A page whose URL names an
object (`follow`) acts in that object's workspace when the user is a member of it, so a
link a colleague pastes opens for them. A URL that names the workspace itself
(`workspace="url argument"`, /api/workspaces/<id>/...) acts in that one: a caller who is
not in it (or an API key of another workspace) gets 404, never another workspace.
"""
from functools import wraps

from flask import abort, g, request, session
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db, login
from webapp.services import Conflict
from webapp.services.ids import looks_like_id
from webapp.services.workspaces import actors, memberships

SESSION_KEY = "workspace_id"


def needs(role, follow=None, workspace=None):
    """`follow=(Model, "url argument")`: the object the URL names chooses the workspace;
    `workspace="url argument"`: the URL names the workspace's id."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if workspace is not None:
                actor = named_actor(kwargs.get(workspace))
            else:
                actor = g.get("api_actor") or browser_actor(_followed(follow, kwargs))
            if actor is None:
                return login.unauthorized()
            g.actor = actor.require(role)
            _same_workspace_as_the_form(actor)
            return view(*args, **kwargs)
        wrapper.required_role = role
        return wrapper
    return decorate


def _same_workspace_as_the_form(actor):
    """A form that says which workspace it was rendered for (`workspace_id`) acts there or
    not at all: a tab left open before switching must not change the other workspace."""
    if g.get("api_actor") is not None or request.method != "POST":
        return
    posted = request.form.get("workspace_id")
    if posted is not None and posted != str(actor.workspace_id):
        raise Conflict("This page was for another workspace, and you have switched since: "
                       "reload it and try again.")


def _followed(follow, kwargs):
    if follow is None:
        return None
    model, argument = follow
    object_id = kwargs.get(argument)
    if not looks_like_id(object_id):
        return None
    return db.session.scalar(select(model.workspace_id).where(model.id == object_id))


def named_actor(workspace_id):
    """The caller acting in exactly this workspace; 404 when they are not in it."""
    api_actor = g.get("api_actor")
    if api_actor is not None:
        if api_actor.workspace_id != workspace_id:
            abort(404, "No such workspace.")
        return api_actor
    if not current_user.is_authenticated:
        return None
    actor = actors.member(current_user._get_current_object(), workspace_id)
    if actor is None:
        abort(404, "No such workspace.")
    return actor


def browser_actor(wanted=None):
    """The logged-in user acting in `wanted` if they are a member of it, else in their
    current workspace; None when nobody is logged in (or they are in no workspace)."""
    if not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    if wanted is not None:
        actor = actors.member(user, wanted)
        if actor is not None:
            if _opens_a_page():
                remember(wanted)
            return actor
    current = session.get(SESSION_KEY)
    if current is not None:
        actor = actors.member(user, current)
        if actor is not None:
            return actor
    workspace_id = memberships.default_workspace_id(user.id)
    if workspace_id is None:
        return None
    remember(workspace_id)
    return actors.member(user, workspace_id)


def _opens_a_page():
    """A followed link switches the browser's workspace only when it opens a page: an HTMX
    poll or fragment of an older tab, or a form, must not move the other tabs' forms to
    the workspace of the object it names."""
    return request.method == "GET" and not request.headers.get("HX-Request")


def remember(workspace_id):
    if session.get(SESSION_KEY) != workspace_id:
        session[SESSION_KEY] = workspace_id


def forget():
    """After leaving or deleting the current workspace: the next request picks another."""
    session.pop(SESSION_KEY, None)
    g.pop("actor", None)


def init_app(app):
    @app.before_request
    def fresh_actor():
        # `g` outlives a request when an app context was already pushed (a CLI command, a
        # test): the member found for one request must not act in the next.
        g.pop("actor", None)
        g.pop("api_actor", None)


def current_actor():
    """The acting member of this request, for templates (the navigation's switcher).

    Pages with `@needs` found it already. Elsewhere (the account page, an error page) it
    is looked up here; if the database cannot answer, the page renders without it rather
    than failing a second time."""
    if "actor" in g:
        return g.actor
    if request.blueprint == "api" or not current_user.is_authenticated:
        return None
    try:
        g.actor = browser_actor()
    except SQLAlchemyError:
        db.session.rollback()
        return None
    return g.actor
