"""Workspaces: who may do what, in which workspace.

- `roles`: the four roles, their order, and the one table of what each action needs.
- `actors`: the member acting in a request or a job (user, workspace, role, via).
- `memberships`: workspaces, their members and owners; sign-up's personal workspace.
"""
