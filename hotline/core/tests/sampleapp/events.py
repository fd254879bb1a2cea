from hotline.core.events import Audience, Event


class SampleRecordSaved(Event):
    type = "sampleapp.record_saved"
    permissions = ("sampleapp.view_samplerecord",)

    record_id: int
    title: str
    owner_id: int | None

    def audience(self) -> Audience:
        return Audience.scoped_to_owner_id("sampleapp.view_samplerecord", self.owner_id)
