"""Accounts: `users` (create_user, authenticate, change_password, set_password), `sessions`
(the browser sessions kept on the server: start, load, touch, end, end_all, active) and
`api_keys` (create_api_key, actor_for_api_key, revoke_api_key)."""
