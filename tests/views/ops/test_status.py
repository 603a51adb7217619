"""/admin/status: breakers, queue lengths, the outbox backlog and success rates per endpoint."""
import re

import pytest

from tests.factories import make_code, make_endpoint, make_user
from tests.support.auth import PASSWORD, AuthActions
from tests.support.receiver import Receiver, failing_first
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import User
from webapp.services.jobs import queues
from workers.webhooks import drain_deliveries


@pytest.mark.settings(WEBHOOK_SETTINGS)
def test_status_page_shows_queues_backlog_and_success_rates(app):
    client = app.test_client()
    with Receiver(failing_first(1)) as receiver:
        with app.app_context():
            code = make_code(slug="hooked")
            make_endpoint(db.session.get(User, code.workspace_id), receiver.url())
            make_user("root@example.com", password=PASSWORD, is_admin=True)
            db.session.commit()
        assert client.get("/s/hooked").status_code == 302
        with app.app_context():
            drain_deliveries()  # the first attempt fails (500)
        receiver.wait_for(1)
        with app.app_context():
            queues.submit("worker.check")  # waits on the high queue: nobody runs it
        AuthActions(client).login("root@example.com")
        page = client.get("/admin/status/").get_data(as_text=True)
    assert re.search(r"<code>high</code></td><td>1</td><td>0</td>", page)
    assert re.search(r"<strong>1</strong> pending", page)
    assert f"http://127.0.0.1:{receiver.port}/hook" in page
    assert re.search(r"<td>1</td><td>0</td>\s*<td>0 %</td>", page)
    assert "not answering" not in page
