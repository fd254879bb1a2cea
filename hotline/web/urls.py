from django.urls import path

from hotline.web.views import auth, home

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", auth.set_language_view, name="set_language"),
]
