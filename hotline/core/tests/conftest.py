import pytest

from hotline.core.tests.sampleapp.models import SampleRecord


@pytest.fixture
def records(sample_org):
    """One record owned by each user of the org, plus one without owner."""
    rows = {
        user.username: SampleRecord.objects.create(title=f"of {user.username}", owner=user)
        for user in sample_org.users
    }
    rows["nobody"] = SampleRecord.objects.create(title="unowned", owner=None)
    return rows
