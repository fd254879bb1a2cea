from hotline.telephony.views.config import urlpatterns as config_patterns
from hotline.telephony.views.records import urlpatterns as records_patterns

app_name = "telephony"

urlpatterns = [*config_patterns, *records_patterns]
