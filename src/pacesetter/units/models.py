"""The unit tree, peer blocks and members.

The tree is a materialised path: each unit stores `path`, the ids from the root down to itself
("/1/5/23/"). A subtree is one indexed `path LIKE '/1/5/%'` query and the ancestors are the
ids in the path, one `id IN (...)` query, whatever the depth. A move rewrites the paths of the
moved subtree in one UPDATE. See docs/architecture.md.
"""

from __future__ import annotations

from django.db import connection, models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate


class UnitKind(models.Model):
    """Kinds are data (country, province, county, enterprise, farm, school, workteam...)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def tree_order() -> OrderBy:
    """Depth first: by path, compared byte by byte, so "/1/2/" and its subtree come before
    "/1/23/" ('/' sorts before the digits). PostgreSQL compares text by the database's
    collation, which may skip the slashes and interleave subtrees; "C" compares bytes, as
    SQLite does."""
    if connection.vendor == "postgresql":
        return Collate(F("path"), "C").asc()
    return F("path").asc()


class Unit(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.ForeignKey(UnitKind, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    headcount = models.PositiveIntegerField(default=0)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="unit_not_own_parent"),
            models.CheckConstraint(
                condition=Q(path__startswith="/") & Q(path__endswith="/"),
                name="unit_path_well_formed",
            ),
            models.CheckConstraint(
                condition=(Q(parent__isnull=True) & Q(depth=0))
                | (Q(parent__isnull=False) & Q(depth__gt=0)),
                name="unit_depth_matches_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent (not including this unit)."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1]]

    @property
    def lineage_ids(self) -> list[int]:
        """Ids from the root down to and including this unit."""
        return [int(part) for part in self.path.strip("/").split("/")]

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class Block(models.Model):
    """A peer group of comparable units that compete with each other."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    units = models.ManyToManyField(Unit, related_name="blocks", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A person belonging to a unit; optional for movements counted at unit level."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="members")
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    full_name = models.CharField(max_length=200)
    joined_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name
