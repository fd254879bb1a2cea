"""Saved customer searches (CUS-5) a user may run: their own and the shared ones."""

from django.db.models import Q

from hotline.customers.models import SavedSearch

VIEW_SAVED_SEARCH = "customers.view_savedsearch"


def saved_searches_visible(actor, *, care_lists_only: bool = False):
    """The actor's own searches and those shared with everyone. Running one
    applies the actor's own data scope (see customer_search)."""
    if actor is None or not actor.is_authenticated or not actor.has_perm(VIEW_SAVED_SEARCH):
        return SavedSearch.objects.none()
    searches = SavedSearch.objects.filter(Q(owner=actor) | Q(shared=True)).select_related("owner")
    if care_lists_only:
        searches = searches.filter(is_care_list=True)
    return searches.order_by("name", "pk")


def saved_search_get(*, actor, pk: int) -> SavedSearch:
    return saved_searches_visible(actor).get(pk=pk)
