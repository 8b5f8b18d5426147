"""HocLieu web application: organisation, people, lessons, tests, curation and the JSON API.

The application factory lives in :mod:`lms.app`; importing this package builds nothing.
"""
