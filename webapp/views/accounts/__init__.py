"""Sign-up, log-in and log-out (`auth`), and the user's own settings (`account`)."""
