import io

from lms.core.storage import storage
from media import LocalStorage


def test_app_storage_is_the_configured_backend_built_once(app):
    with app.app_context():
        store = storage()
        assert isinstance(store, LocalStorage) and store is storage()
        assert str(store.root) == app.config["STORAGE_PATH"]
        store.put_stream("probe/x.txt", io.BytesIO(b"ok"))
        assert store.size("probe/x.txt") == 2
        store.delete("probe/x.txt")
