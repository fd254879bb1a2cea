"""GET /api/customers/screen-pop: the screen pop (CUS-4) in one round trip."""

from ninja import Router

from hotline.customers.selectors.screen_pop import screen_pop

router = Router()


@router.get(
    "/screen-pop",
    response=dict,
    summary="Caller location, blacklist, matching customers and history for a number",
)
def screen_pop_get(request, number: str, dialled: str = ""):
    """``number`` as presented by the carrier (with or without +86, 0086, a
    leading 0, spaces or dashes); ``dialled`` the number the caller dialled.
    Only customers within the caller's data scope are returned; when none
    matches, ``new_customer`` holds what the new-customer form is filled with."""
    return screen_pop(actor=request.user, number=number, dialled=dialled)
