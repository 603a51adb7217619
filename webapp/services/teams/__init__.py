"""Managing a workspace: its name, default preset and deletion (`workspaces`), its members
and their roles (`members`), and invitations by e-mail (`invitations`).

Every function takes the acting member (services/workspaces/actors.py) and checks what
its role allows here, beyond the role `@needs` already checked at the door.
"""
