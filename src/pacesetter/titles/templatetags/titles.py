"""`{% title_holders movement %}`: the movement's standing title holders, for its honour board."""

from __future__ import annotations

from django import template

from pacesetter.movements.models import Movement

from .. import selectors

register = template.Library()


@register.inclusion_tag("titles/_board_holders.html")
def title_holders(movement: Movement) -> dict:
    return {"awards": selectors.holders_for_board(movement)}
