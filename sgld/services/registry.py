"""What the landing page and the enterprise profile gather from the features,
listed in one place (a feature that adds a hook adds it here too;
``tests/test_registry.py`` fails when a module defines one that is missing).

* :data:`REMINDERS`: ``reminders(actor) -> list[Reminder]`` (``sgld.reminders``),
  the actor's own open work, in this order on the landing page.
* :data:`PROFILE_EVENTS`: ``profile_events(actor, enterprise_id) -> list[dict]``,
  events added to the enterprise profile's timeline (``services.profile``).
* :data:`PROFILE_FLAGS`: ``profile_flags(actor, enterprise_id) -> list[dict]``,
  flags shown above it.

The listeners called after a write are in :mod:`sgld.services.listeners`
(the writing services import them; this module imports the writing services).
"""

from __future__ import annotations

from sgld.services import inspection, liaison, penalty, push, revocation, special_review, warning

REMINDERS = (
    inspection.reminders,
    liaison.reminders,
    penalty.reminders,
    push.reminders,
    revocation.reminders,
    special_review.reminders,
)

PROFILE_EVENTS = (
    revocation.profile_events,
    warning.profile_events,
)

PROFILE_FLAGS = (warning.profile_flags,)
