"""Accounts: `users` (create_user, authenticate, change_password) and `api_keys`
(create_api_key, user_for_api_key, revoke_api_key)."""
