from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.voices import actions


def as_(user):
    return acting_as(actor_for(user))


def raise_one(units, topic, user=None, unit="W1", **kw):
    args = {"topic": topic, "unit": units[unit], "subject": "Leaking roof", "text": "Block 4."}
    args.update(kw)
    if user is None:
        return actions.raise_voice(**args)
    with as_(user):
        return actions.raise_voice(**args)
