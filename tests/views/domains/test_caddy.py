"""Debian's Caddy, with the Caddyfile of docs/custom-domains.md, in front of gunicorn: on-demand
certificates for verified custom domains only (Caddy's own CA: no network needed)."""
import re
import shutil
import socket
import ssl
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.factories import make_code, make_user, workspace_of
from tests.support.domains import verified_domain
from tests.support.processes import gunicorn
from tests.support.servers import free_port
from webapp.extensions import db
from webapp.models import CustomDomain

CADDY = "/usr/bin/caddy"
DOC = Path(__file__).resolve().parents[3] / "docs" / "custom-domains.md"
UPSTREAM = "127.0.0.1:8000"  # gunicorn's address in the documented Caddyfile


def documented_caddyfile():
    blocks = re.findall(r"```caddyfile\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, "docs/custom-domains.md should hold exactly one Caddyfile"
    return blocks[0]


def for_the_test(caddyfile, upstream_port, http_port, https_port, data_dir):
    """The documented file with gunicorn's test port, high ports for Caddy, and Caddy's own
    CA instead of Let's Encrypt (its root not installed anywhere, no admin endpoint)."""
    assert caddyfile.count(UPSTREAM) >= 2 and caddyfile.startswith("{\n")
    local = (f"\tlocal_certs\n\tskip_install_trust\n\tadmin off\n\thttp_port {http_port}\n"
             f"\thttps_port {https_port}\n\tstorage file_system {data_dir}\n")
    return "{\n" + local + caddyfile[2:].replace(UPSTREAM, f"127.0.0.1:{upstream_port}")


def wait_for_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "caddy exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"caddy did not listen on {port}")


def curl(hostname, port, path):
    """(curl's exit code, HTTP status, Location) of an HTTPS request to `hostname` on 127.0.0.1."""
    done = subprocess.run(
        ["curl", "-sk", "--max-time", "20", "--resolve", f"{hostname}:{port}:127.0.0.1",
         "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", f"https://{hostname}:{port}{path}"],
        capture_output=True, text=True, timeout=30)
    status, _, location = done.stdout.partition(" ")
    return done.returncode, status, location


def certificate_names(hostname, port, root_ca):
    """The names of the certificate served for `hostname`, checked against Caddy's root."""
    context = ssl.create_default_context(cafile=str(root_ca))
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with context.wrap_socket(raw, server_hostname=hostname) as tls:
            return [value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS"]


@pytest.mark.skipif(not Path(CADDY).exists(), reason=f"{CADDY} is missing (apt-get install caddy)")
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is missing")
def test_caddy_gets_certificates_for_verified_domains_only(app, tmp_path):
    with app.app_context():
        brand = workspace_of(make_user("ada@brand.example"))
        domain = verified_domain(brand, "qr.brand.example")
        make_code(brand, "menu", target_url="https://brand.example/menu", domain_id=domain.id)
        db.session.add(CustomDomain(workspace_id=brand, hostname="pending.brand.example",
                                    status="pending", verification_token="p" * 32))
        db.session.commit()
    http_port, https_port = free_port(), free_port()
    data_dir = tmp_path / "caddy-data"
    with ExitStack() as stack:
        upstream = stack.enter_context(gunicorn(app, tmp_path / "gunicorn.log", PROXY_FIX_HOPS="1",
                                                PUBLIC_BASE_URL="https://scanlink.example.com"))
        config = tmp_path / "Caddyfile"
        config.write_text(for_the_test(documented_caddyfile(), upstream, http_port, https_port, data_dir))
        log = open(tmp_path / "caddy.log", "wb")
        stack.callback(log.close)
        env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
               "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "PATH": "/usr/bin:/bin"}
        caddy = subprocess.Popen([CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
                                 stdout=log, stderr=subprocess.STDOUT, env=env)
        stack.callback(caddy.wait, 20)
        stack.callback(caddy.terminate)
        wait_for_port(https_port, caddy)

        code, status, location = curl("qr.brand.example", https_port, "/menu")
        assert (code, status, location) == (0, "302", "https://brand.example/menu"), (
            (tmp_path / "caddy.log").read_text()[-3000:])
        root_ca = data_dir / "pki" / "authorities" / "local" / "root.crt"
        assert certificate_names("qr.brand.example", https_port, root_ca) == ["qr.brand.example"]

        # Names the app does not vouch for (ask: 404) get no certificate at all.
        for refused in ("pending.brand.example", "unknown.example"):
            code, status, _ = curl(refused, https_port, "/menu")
            assert code != 0 and status == "000", f"{refused}: curl {code}, HTTP {status}"
            with pytest.raises(ssl.SSLError):
                certificate_names(refused, https_port, root_ca)
