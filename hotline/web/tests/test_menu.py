from hotline.web.menu import _active_url


def test_the_longest_matching_entry_is_active():
    urls = ["/", "/customers/", "/customers/care/", "/account/"]
    assert _active_url(urls, "/customers/care/") == "/customers/care/"
    assert _active_url(urls, "/customers/12/") == "/customers/"
    assert _active_url(urls, "/") == "/"
    assert _active_url(urls, "/nowhere/") is None
