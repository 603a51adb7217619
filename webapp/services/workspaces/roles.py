"""The roles of a workspace, each including the ones below it (docs/api.md)."""
from webapp.services import ServiceError

ROLES = ("viewer", "editor", "admin", "owner")
VIEWER, EDITOR, ADMIN, OWNER = ROLES


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


def rank(role):
    return ROLES.index(role)


def at_least(role, needed):
    return role in ROLES and rank(role) >= rank(needed)


def lower(first, second):
    """The lesser of two roles; None stands for no cap."""
    if first is None or second is None:
        return first or second
    return min(first, second, key=rank)


def check_role(role):
    if role not in ROLES:
        raise ServiceError(f"The role must be one of {', '.join(ROLES)}.",
                           fields={"role": "unknown role"}, status=422)
    return role
