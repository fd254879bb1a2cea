from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from hotline.core.scope import DataScope, widest_scope


@login_required
def home(request):
    user = request.user
    roles = list(user.roles.all())
    scope = widest_scope(role.data_scope for role in roles)
    if user.is_superuser:
        scope = DataScope.ALL
    return render(
        request,
        "web/home.html",
        {
            "roles": roles,
            "department": user.department,
            "team": user.team,
            "widest_scope": scope.label if scope else None,
        },
    )
