from django.shortcuts import render


def forbidden(request, exception=None):
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "web/errors/403.html", {"reason": reason}, status=403)


def not_found(request, exception=None):
    return render(request, "web/errors/404.html", status=404)
