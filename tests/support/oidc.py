"""A real OpenID provider for the single sign-on tests, and a person logging in at it.

`OidcProvider` runs tests/oidc/provider.mjs (node oidc-provider, a certified
implementation) on 127.0.0.1; `make test` installs it with `npm ci --prefix tests/oidc`.
`ProviderLogin` is the person at the provider's development log-in and consent pages,
with plain HTTP (the browser test uses Chromium instead).
"""
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.support.processes import wait_for
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_DIR = ROOT / "tests" / "oidc"
CLIENT_ID = "scanlink"
CLIENT_SECRET = "scanlink-test-client-secret"
CALLBACK = "/login/oidc/callback"

_ACTION = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"')
_PROMPT = re.compile(r'name="prompt" value="(\w+)"')


class OidcProvider:
    """node tests/oidc/provider.mjs, its issuer http://127.0.0.1:<port>, one client whose
    redirect URIs are `redirect_uris`."""

    def __init__(self, redirect_uris, log_path):
        if shutil.which("node") is None:
            pytest.fail("node is needed for the single sign-on tests' provider")
        if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
            pytest.fail("the test OpenID provider is not installed: npm ci --prefix tests/oidc "
                        "(make test does it)")
        self.port = free_port()
        self.redirect_uris = list(redirect_uris)
        self.log_path = log_path
        self.proc = None

    @property
    def issuer(self):
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **extra):
        """The app settings that point Scanlink at this provider."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_NAME": "Test ID", **extra}

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["node", "provider.mjs"], cwd=PROVIDER_DIR, stdout=self.log, stderr=subprocess.STDOUT,
            env={"PATH": _path(), "PORT": str(self.port),
                 "REDIRECT_URIS": ",".join(self.redirect_uris)})
        wait_for(self._answers, timeout=30, message="the OpenID provider to answer")
        return self

    def _answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("the OpenID provider stopped:\n" + self.output())
        try:
            return requests.get(self.issuer + "/.well-known/openid-configuration",
                                timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()

    def output(self):
        return Path(self.log_path).read_text(errors="replace")


def _path():
    return str(Path(shutil.which("node")).parent) + ":/usr/bin:/bin"


class ProviderLogin:
    """A person at the provider: follows its redirects, signs in as `account` (a login name
    of provider.mjs's table), consents, and stops at the redirect back to Scanlink."""

    def __init__(self, redirect_uri):
        self.redirect_uri = redirect_uri
        self.http = requests.Session()

    def sign_in(self, authorization_url, account):
        """The URL the provider sends the browser back to (code, state and iss in it)."""
        response = self._get(authorization_url)
        for _ in range(10):
            if isinstance(response, str):
                return response
            html = response.text
            prompt = _PROMPT.search(html)
            action = _ACTION.search(html)
            assert prompt and action, f"no log-in or consent form at {response.url}:\n{html[:500]}"
            data = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                data.update(login=account, password="any password")
            response = self._follow(self.http.post(urljoin(response.url, unescape(action.group(1))),
                                                   data=data, allow_redirects=False, timeout=10))
        raise AssertionError("the provider never sent the browser back")

    def _get(self, url):
        return self._follow(self.http.get(url, allow_redirects=False, timeout=10))

    def _follow(self, response):
        """Redirects inside the provider are followed; the one back to Scanlink is returned."""
        while response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(self.redirect_uri):
                return location
            response = self.http.get(location, allow_redirects=False, timeout=10)
        assert response.status_code == 200, f"{response.status_code} from {response.url}: {response.text[:500]}"
        return response


def path_of(url):
    """The path and query of a URL, for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
