"""Custom domains: a workspace proves it controls a hostname with a DNS TXT record, then its
dynamic codes can have `https://<hostname>/<slug>` as their scan URL (docs/custom-domains.md)."""
