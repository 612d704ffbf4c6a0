"""``publisher push``: an issue made a draft in the writer's email service (Buttondown,
listmonk, Mailchimp, Kit or Ghost), and that same draft updated by the next push. Nothing is
ever sent, scheduled or published.

``service`` holds what every service has, one module each holds a service's calls, ``api``
talks to it, ``record`` keeps each draft's id in ``publisher-push.json``, ``run`` does a push.
"""

from __future__ import annotations

from publisher.push.api import KEY_VARIABLE
from publisher.push.record import RECORD_FILE
from publisher.push.run import SERVICES, Pushed, push_issue

__all__ = ["KEY_VARIABLE", "RECORD_FILE", "SERVICES", "Pushed", "push_issue"]
