from hotline.telephony.views.config import urlpatterns as config_patterns
from hotline.telephony.views.desk import urlpatterns as desk_patterns
from hotline.telephony.views.records import urlpatterns as records_patterns
from hotline.telephony.views.wallboard import urlpatterns as wallboard_patterns

app_name = "telephony"

urlpatterns = [*desk_patterns, *wallboard_patterns, *config_patterns, *records_patterns]
