"""What an asked inbound or proxy must carry, as the two halves of `gen-bundle diff` build it from
the policies' selectors (generator/questions/compare.py, outbound_compare.py): requirements merged
two at a time, placed in a zone, and made concrete tags."""

from __future__ import annotations

from generator.compile.pairs import ANY_VALUE

SERVICE = "kuma.io/service"
SOME_SERVICE = "gen-bundle-some-service"  # a service no policy names
ZONE = "kuma.io/zone"
SOME_ZONE = "gen-bundle-some-zone"  # a zone no policy comes from
EVERY_ZONE = "gen-bundle-every-zone"  # two zones' policies at once: only an inbound without a zone


def merge_requirements(first: dict[str, str], second: dict[str, str]) -> dict[str, str] | None:
    """Two single-valued requirements at once, or None when they conflict."""
    merged = dict(first)
    for key, value in second.items():
        if merged.get(key, value) not in (value, ANY_VALUE) and value != ANY_VALUE:
            return None
        if merged.get(key) in (None, ANY_VALUE):
            merged[key] = value
    return merged


def merge_zones(first: str | None, second: str | None) -> str | None:
    """The zone an inbound must be in for two zone-originated selectors to hold at once: one zone,
    or, for two zones, none at all (tags.zone_holds: an inbound without kuma.io/zone is
    restricted by no zone)."""
    if first and second and first != second:
        return EVERY_ZONE
    return first or second


def zoned_tags(tags: dict[str, str], zone: str | None, zoned: bool) -> dict[str, str] | None:
    """The tags of an inbound (or proxy) that a selector of `zone` (merge_zones) selects, in a mesh
    with zone-originated policies (`zoned`): in that zone, or in a zone no policy comes from, so
    that the zone policies select it only where the selector says; None when the selector's own
    kuma.io/zone tag rules that out."""
    explicit = tags.get(ZONE)
    if explicit not in (None, ANY_VALUE):
        return None if zone == EVERY_ZONE or (zone and zone != explicit) else tags
    if zone == EVERY_ZONE:
        return None if explicit == ANY_VALUE else tags
    if not zoned:
        return tags
    return {**tags, ZONE: zone or SOME_ZONE}


def concrete_tags(tags: dict[str, str]) -> dict[str, str]:
    concrete = {key: ("gen-bundle-any" if value == ANY_VALUE else value) for key, value in tags.items()}
    if concrete.get(SERVICE) in (None, "gen-bundle-any"):
        concrete[SERVICE] = SOME_SERVICE
    return concrete
