"""What the public reaches without an account: the scan redirect /s/<slug> (`scan`, with
its WSGI fast path) and a dynamic code's public image (`image`)."""
