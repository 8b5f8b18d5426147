"""The application's file store: built once per app from its config, kept on app.extensions."""

from flask import current_app

from media import Storage, storage_from_config

_KEY = "hoclieu_storage"


def storage() -> Storage:
    """The configured backend (``HOCLIEU_STORAGE_BACKEND``), created on first use."""
    app = current_app._get_current_object()
    store = app.extensions.get(_KEY)
    if store is None:
        store = app.extensions[_KEY] = storage_from_config(app.config)
    return store
