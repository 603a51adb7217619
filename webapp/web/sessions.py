"""Flask's signed-cookie sessions, without the work for visitors who have no cookie."""
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadData

from webapp.services import ServiceError


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    """Builds the signing serializer only when there is a cookie to read.

    Flask's own `open_session` builds it for every request first; on the public
    scan path (phones with no cookie of ours) that was a noticeable share of
    the time. Behaviour is otherwise the same: `save_session` returns early
    for an empty session and builds the serializer only to write one.
    """

    def open_session(self, app, request):
        if not app.secret_key:
            return None
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        try:
            return super().open_session(app, request)
        except (BadData, ServiceError):
            # Signed by us but unreadable (the strict JSON reader refuses what an older
            # release wrote, say): start afresh, as Flask does for a bad signature.
            return self.session_class()
