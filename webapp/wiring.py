"""Every side effect of a domain event, connected in one place: `connect`, which
`create_app` calls (so web and worker processes alike are wired the same way).

| event                               | receiver                      | effect                                  |
| ----------------------------------- | ----------------------------- | --------------------------------------- |
| any session commits / rolls back    | signals.run/drop_after_commit | after-commit work runs / is dropped     |
| code_created, _updated, _deleted    | scans.targets.on_code_changed | the code's cached look-up is dropped    |
| code_created, _updated, _deleted    | webhooks.events.on_code_*     | outbox rows, in the same transaction    |
| code_deleted                        | analytics.workspace_rollups.on_code_deleted | its scans leave the workspace's rollups |
| job_finished                        | webhooks.events.on_job_finished | outbox rows, in the same transaction  |
| job_finished                        | bulk.job_log.on_job_finished  | a bulk job's one audit-log entry        |
| a session flushes endpoint changes  | webhooks.endpoints.announce_changes | sends webhooks_changed            |
| webhooks_changed                    | scans.targets.on_webhooks_changed | the owner's cached look-ups dropped |
| domain_changed                      | scans.hosts.on_domain_changed | the hostname's cached look-up dropped   |

Signals are process-wide, so `connect` is idempotent: every app built in a process
(tests build many) shares one set of receivers.
"""
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from webapp.services import signals
from webapp.services.analytics import workspace_rollups
from webapp.services.bulk import job_log
from webapp.services.scans import hosts, targets
from webapp.services.webhooks import endpoints, events

RECEIVERS = (
    (signals.code_created, targets.on_code_changed),
    (signals.code_updated, targets.on_code_changed),
    (signals.code_deleted, targets.on_code_changed),
    (signals.code_created, events.on_code_created),
    (signals.code_updated, events.on_code_updated),
    (signals.code_deleted, events.on_code_deleted),
    (signals.code_deleted, workspace_rollups.on_code_deleted),
    (signals.job_finished, events.on_job_finished),
    (signals.job_finished, job_log.on_job_finished),
    (signals.webhooks_changed, targets.on_webhooks_changed),
    (signals.domain_changed, hosts.on_domain_changed),
)
SESSION_LISTENERS = (
    ("after_flush", endpoints.announce_changes),
)


def connect():
    signals.connect_session_events()
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, weak=False)
    for name, listener in SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
