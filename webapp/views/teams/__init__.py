"""Workspace pages: settings (members, invitations, default preset, deletion), a new
workspace, the navigation's switcher, and the invitation link."""
