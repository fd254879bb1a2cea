"""The customer pages in a real browser, as lead1 of the demo: import a
small Excel, find a customer by 4 digits of the phone, open the 360 view,
edit a searchable custom field and see the change in the page and in the
change history."""

import pytest
from django.contrib.contenttypes.models import ContentType
from openpyxl import Workbook

from hotline.core.models import CustomField
from hotline.customers.models import Customer
from hotline.web.tests.e2e.helpers import log_in, screenshot

pytestmark = pytest.mark.e2e

NAME = "测试导入甲"
PHONE = "13877294321"


@pytest.fixture
def wechat_field(demo):
    """A searchable custom field, made before the browser starts."""
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="wechat",
        label="微信号",
        label_en="WeChat ID",
        field_type="text",
        searchable=True,
    )


@pytest.fixture
def workbook(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "城市"])
    sheet.append([NAME, PHONE, "杭州市"])
    sheet.append(["测试导入乙", "139 7729 8765", "成都市"])
    sheet.append(["坏号码", "12345", ""])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    return path


def test_import_search_open_and_edit(wechat_field, workbook, page, demo):
    log_in(page, "lead1", demo)

    page.goto("/customers/imports/")
    upload = page.locator("#import-upload form")
    upload.locator("input[type=file]").set_input_files(str(workbook))
    with page.expect_navigation():
        upload.locator("button[type=submit]").click()
    mapping = page.locator("#import-mapping")
    with page.expect_navigation():
        mapping.locator("button[name=action][value=start]").click()
    page.locator("#import-counts").wait_for()
    screenshot(page, "customers-import-done")
    assert "2" in page.locator("#import-counts dd").first.inner_text()

    page.goto("/customers/")
    page.locator("#id_q").fill("4321")
    page.locator("#customer-quick-search button[type=submit]").click()
    row = page.locator("#customer-table tbody tr", has_text=NAME)
    row.wait_for()
    screenshot(page, "customers-search-4321")
    with page.expect_navigation():
        row.locator("a", has_text=NAME).click()

    assert page.locator("#customer-name").inner_text().startswith(NAME)
    phone = page.locator(f'#customer-phones a[data-dial="+86{PHONE}"]')
    assert phone.get_attribute("href") == f"tel:+86{PHONE}"
    assert "中国移动" in page.locator("#customer-phones").inner_text()
    screenshot(page, "customers-360")

    with page.expect_navigation():
        page.locator("#customer-edit").click()
    page.locator("#id_cf_wechat").fill("wx_ceshi_jia")
    with page.expect_navigation():
        page.locator("#customer-form button[type=submit]").click()

    assert page.locator('[data-custom-field="wechat"]').inner_text() == "wx_ceshi_jia"
    change = page.locator('#panel-changes tr[data-field="cf.wechat"]').first
    assert "微信号" in change.inner_text()
    assert change.locator("td.new").inner_text() == "wx_ceshi_jia"
    screenshot(page, "customers-360-after-edit")

    page.goto("/customers/?cf.wechat=ceshi")
    assert page.locator("#customer-table tbody tr", has_text=NAME).count() == 1
