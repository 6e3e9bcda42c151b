"""The vocabulary of the rule language: ordinal scales, the facts a rule may name and their
parameters, operators."""

from __future__ import annotations

from dataclasses import dataclass

from pacesetter.core.facts import INITIATIVE_SCOPES

RATINGS = ("not_completed", "completed", "good", "excellent")
DISCIPLINE_LEVELS = ("none", "reprimand", "warning", "demotion", "dismissal")
# INITIATIVE_SCOPES lives in core.facts: initiatives recognised by other apps use it too.
ORDINALS: dict[str, tuple[str, ...]] = {
    "rating": RATINGS,
    "discipline_level": DISCIPLINE_LEVELS,
    "initiative_scope": INITIATIVE_SCOPES,
}
SUBJECTS = ("person", "unit")
FIGURES = ("all", "verified")
ROUNDINGS = ("floor", "ceil", "nearest")


@dataclass(frozen=True)
class FactSpec:
    """A fact a rule may look at: its kind of value, who has it, the parameters it takes."""

    name: str
    kind: str  # "number" | "ordinal" | "bool"
    subjects: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    description: str = ""


FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("rating", "ordinal", SUBJECTS, description="the year's task-completion rating"),
        FactSpec("months_worked", "number", ("person",), description="months worked in the year"),
        FactSpec(
            "discipline_level",
            "ordinal",
            SUBJECTS,
            description="the highest disciplinary measure in force during the year",
        ),
        FactSpec(
            "discipline_pending",
            "bool",
            SUBJECTS,
            description="a disciplinary case, investigation or inspection still open",
        ),
        FactSpec(
            "initiative_scope",
            "ordinal",
            SUBJECTS,
            parameters=("years",),
            description="the widest scope of an initiative recognised in the year (or the last N years)",
        ),
        FactSpec(
            "initiatives",
            "number",
            SUBJECTS,
            parameters=("years",),
            description="how many initiatives were recognised in the year (or the last N years), "
            "recorded here or recognised elsewhere (a verified reserve is one)",
        ),
        FactSpec(
            "initiatives_per_member",
            "number",
            ("unit",),
            parameters=("years",),
            description="the initiatives of a collective's active members recognised in the "
            "year (or the last N years), per active member",
        ),
        FactSpec(
            "plan_fulfilment",
            "number",
            ("unit",),
            parameters=("indicator", "figures", "every"),
            description="actual ÷ plan, in %, from the ledger's aggregates",
        ),
        FactSpec(
            "all_verified",
            "bool",
            ("unit",),
            parameters=("indicator",),
            description="every report of the year (or of the period judged) on the indicator is verified",
        ),
        FactSpec(
            "rank_in_block",
            "number",
            ("unit",),
            parameters=("block", "indicator", "figures"),
            description="place in the block by plan fulfilment (1 = first)",
        ),
    )
}
PARAMETER_VALUES: dict[str, tuple[str, ...]] = {"figures": FIGURES, "every": ("month", "period")}
# How often a title is judged: once a year (the default), or once for each period of the
# movement — any sub-period (`per_period`), or only calendar weeks / calendar months.
JUDGED = ("per_year", "per_period", "per_week", "per_month")
# Facts read from the ledger: judged for the period when the title is judged per period.
LEDGER_FACTS = ("plan_fulfilment", "all_verified", "rank_in_block")
OPERATORS = (">=", ">", "<=", "<", "==", "!=")
