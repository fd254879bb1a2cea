import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from hotline.realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})

# The call engine runs in this process when TELEPHONY["AUTOSTART"] is on (make run).
from hotline.telephony.engine.runtime import start_in_background  # noqa: E402

start_in_background()
