"""The rule language for honorary titles and its evaluator: pure Python, no Django.

A rule pack is a YAML (or JSON, which YAML reads too) document of titles; each title has rule
versions with the dates they are in force; a version is a tree of conditions over *facts*, plus
exclusions, prerequisites, a cap and a council vote threshold. Nothing is ever `eval`-ed: the
text is parsed into the dataclasses of `rules`, and every error names the line it is on.

Evaluating a candidate returns an explanation tree (`Node`): every condition with the facts it
used, pass or fail, and for a failure what was missed and by how much. Percentages are compared
in integer arithmetic (`count * 100 >= pct * total`), never as rounded floats.
"""

from .evaluation import Evaluator, Outcome, evaluate, rank_value
from .explanation import MISSING, Facts, FactValue, Node, Source
from .parsing import PackError, PackProblem, parse_pack
from .rules import (
    AllOf,
    AnyOf,
    Cap,
    Compare,
    Condition,
    FactRef,
    Held,
    MemberShare,
    Not,
    Pack,
    RankKey,
    RuleVersion,
    Threshold,
    TitleRule,
    Vote,
    apply_rounding,
    facts_used,
    referenced_titles,
)
from .selection import CapEntry, CapGroup, cap_text, select_within_cap, vote_result
from .vocabulary import (
    DISCIPLINE_LEVELS,
    FACTS,
    FIGURES,
    INITIATIVE_SCOPES,
    JUDGED,
    LEDGER_FACTS,
    OPERATORS,
    ORDINALS,
    PARAMETER_VALUES,
    RATINGS,
    ROUNDINGS,
    SUBJECTS,
    FactSpec,
)

__all__ = [
    "DISCIPLINE_LEVELS",
    "FACTS",
    "FIGURES",
    "INITIATIVE_SCOPES",
    "JUDGED",
    "LEDGER_FACTS",
    "MISSING",
    "OPERATORS",
    "ORDINALS",
    "PARAMETER_VALUES",
    "RATINGS",
    "ROUNDINGS",
    "SUBJECTS",
    "AllOf",
    "AnyOf",
    "Cap",
    "CapEntry",
    "CapGroup",
    "Compare",
    "Condition",
    "Evaluator",
    "FactRef",
    "FactSpec",
    "FactValue",
    "Facts",
    "Held",
    "MemberShare",
    "Node",
    "Not",
    "Outcome",
    "Pack",
    "PackError",
    "PackProblem",
    "RankKey",
    "RuleVersion",
    "Source",
    "Threshold",
    "TitleRule",
    "Vote",
    "apply_rounding",
    "cap_text",
    "evaluate",
    "facts_used",
    "parse_pack",
    "rank_value",
    "referenced_titles",
    "select_within_cap",
    "vote_result",
]
