"""A gentle stream of changes in a served fake, as people and production traffic would make.

The fake Sentry raises a new error or a regression every so often and sometimes resolves one;
the fake trackers move a ticket from one status to another, preferring the tickets created
through their API (by Switchyard), so that status changes travel back. Every change goes through
the fake's own mutators and so sends the webhook the remote would. Off unless asked for
(``serve --activity SECONDS``): tests drive the fakes themselves.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from switchyard.fakes.sentry.seed import CULPRITS, ERRORS, platform_family

LINEAR_STATES = ["Todo", "In Progress", "In Review", "Done"]


def sentry_step(fake: Any, rng: random.Random) -> str:
    """A new error (most often), a regression of a resolved issue, or a resolution."""
    issues = list(fake.issues.values())
    resolved = [issue for issue in issues if issue.status == "resolved"]
    unresolved = [issue for issue in issues if issue.status == "unresolved"]
    roll = rng.random()
    if roll < 0.2 and resolved:
        issue = rng.choice(resolved)
        fake.regress_issue(str(issue.id))
        return f"regressed {issue.short_id}"
    if roll < 0.35 and unresolved:
        issue = rng.choice(unresolved)
        people = [m for m in fake.members.values() if m.id != fake.token_user_id]
        fake.resolve_issue(str(issue.id), by=rng.choice(people).email if people else None)
        return f"resolved {issue.short_id}"
    project = rng.choice(list(fake.projects.values()))
    family = platform_family(project.platform)
    kind, value = rng.choice(ERRORS[family])
    issue_id = fake.add_issue(
        project.id,
        title=f"{kind}: {value}",
        culprit=rng.choice(CULPRITS[family]),
        level=rng.choice(["error", "error", "error", "fatal"]),
    )
    return f"new error {fake.issues[int(issue_id)].short_id}"


def _prefer_api_created(rng: random.Random, issues: list, created_by_api: list) -> Any:
    return rng.choice(created_by_api if created_by_api and rng.random() < 0.7 else issues)


def jira_step(fake: Any, rng: random.Random) -> str:
    """Someone moves an issue along the workflow."""
    issues = list(fake.issues.values())
    if not issues:
        return "nothing to move"
    mine = [issue for issue in issues if issue.reporter_id == fake.bot.account_id]
    issue = _prefer_api_created(rng, issues, mine)
    transitions = issue.project.transitions_from(issue.status)
    if not transitions:
        return f"{issue.key} stays"
    target = rng.choice(transitions).to.name
    fake.transition_by_name(issue.key, target)
    return f"moved {issue.key} to {target}"


def linear_step(fake: Any, rng: random.Random) -> str:
    """Someone drags an issue to another state."""
    issues = list(fake.issues.values())
    if not issues:
        return "nothing to move"
    mine = [issue for issue in issues if issue.creator_id == fake.viewer_id]
    issue = _prefer_api_created(rng, issues, mine)
    current = fake.states[issue.state_id]["name"]
    target = rng.choice([name for name in LINEAR_STATES if name != current])
    fake.move_issue_to_state(issue.id, target)
    return f"moved {fake._identifier(issue)} to {target}"


STEPS: dict[str, Callable[[Any, random.Random], str]] = {
    "sentry": sentry_step,
    "jira": jira_step,
    "linear": linear_step,
}


class Activity:
    """Runs the step of a fake's kind every ``every`` seconds in a background thread."""

    def __init__(self, fake: Any, kind: str, every: float, seed: int | None = None) -> None:
        self.fake, self.step, self.every = fake, STEPS[kind], every
        self.rng = random.Random(seed)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-activity", daemon=True)

    def start(self) -> Activity:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.every):
            with self.fake.lock:
                done = self.step(self.fake, self.rng)
            print(f"activity: {done}", flush=True)
