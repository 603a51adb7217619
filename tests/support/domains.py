"""Custom domains for tests: a workspace's domain, added and verified through the API."""
from webapp.extensions import db
from webapp.models import CustomDomain
from webapp.models.base import utcnow


def verified_domain(workspace_id, hostname, root_url=None):
    """A verified domain of the workspace, straight into the database (committed)."""
    domain = CustomDomain(workspace_id=workspace_id, hostname=hostname, status="verified",
                          verification_token="t" * 32, verified_at=utcnow(), root_url=root_url)
    db.session.add(domain)
    db.session.commit()
    return domain


def add_and_verify(client, headers, dns_server, hostname):
    """Adds `hostname` through the API, publishes its TXT record on `dns_server`, verifies it."""
    created = client.post("/api/domains", json={"hostname": hostname}, headers=headers).get_json()
    dns_server.records[created["verification"]["name"]] = [created["verification"]["value"]]
    response = client.post(f"/api/domains/{created['id']}/verify", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
