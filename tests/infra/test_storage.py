import pytest

from webapp.infra.storage import LocalStorage


def test_put_get_delete_round_trip(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put("images/ab/one.bin", b"\x00\x01")
    assert storage.exists("images/ab/one.bin")
    assert storage.get("images/ab/one.bin") == b"\x00\x01"
    storage.delete("images/ab/one.bin")
    assert not storage.exists("images/ab/one.bin")
    assert list((tmp_path / "images" / "ab").iterdir()) == []


@pytest.mark.parametrize("key", ["../outside", "a/../../outside", "/etc/passwd"])
def test_keys_cannot_escape_the_root(tmp_path, key):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path / "root").put(key, b"x")
