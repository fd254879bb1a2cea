from hotline.core.events import Audience, Event


class SampleRecordSaved(Event):
    type = "sampleapp.record_saved"
    permissions = ("sampleapp.view_samplerecord",)

    record_id: int
    title: str
    owner_id: int | None

    def audience(self) -> Audience:
        from hotline.accounts.models import User

        owner = User.objects.filter(pk=self.owner_id).select_related("department").first()
        return Audience.scoped_to_owner("sampleapp.view_samplerecord", owner)
