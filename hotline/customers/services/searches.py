"""Saved customer searches (CUS-5), also used as care lists (CUS-11). The
owner alone changes or deletes a search; shared ones are read-only to others."""

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.permissions import require_perm
from hotline.customers.models import SavedSearch
from hotline.customers.selectors.customers import customer_search


def _require_owner(actor, search: SavedSearch) -> None:
    if search.owner_id != actor.pk and not actor.is_superuser:
        raise NotAllowed(_("Only the owner of “%(name)s” may change it.") % {"name": search})


def _check(name: str, query, suggested_action: str, actor) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidData(_("Give the search a name."), details={"name": [_("Required.")]})
    if suggested_action not in SavedSearch.Action.values:
        raise InvalidData(
            _("Unknown suggested action: %s") % suggested_action,
            details={"suggested_action": [_("Unknown.")]},
        )
    if not isinstance(query, dict) or not any(v not in (None, "", [], {}) for v in query.values()):
        raise InvalidData(_("The search has no criteria."), details={"query": [_("Required.")]})
    customer_search(actor=actor, criteria=query)  # refuses unknown or malformed criteria
    return name


@transaction.atomic
def saved_search_save(
    *,
    actor,
    search: SavedSearch | None = None,
    name: str,
    query: dict,
    shared: bool = False,
    is_care_list: bool = False,
    suggested_action: str = "",
) -> SavedSearch:
    """Create a saved search owned by ``actor``, or change ``search`` (its owner only)."""
    if search is None:
        require_perm(actor, "customers.add_savedsearch")
        search = SavedSearch(owner=actor)
    else:
        require_perm(actor, "customers.change_savedsearch")
        _require_owner(actor, search)
    search.name = _check(name, query, suggested_action, actor)
    search.query = query
    search.shared = shared
    search.is_care_list = is_care_list
    search.suggested_action = suggested_action
    search.save()
    return search


@transaction.atomic
def saved_search_delete(*, actor, search: SavedSearch) -> None:
    require_perm(actor, "customers.delete_savedsearch")
    _require_owner(actor, search)
    search.delete()
