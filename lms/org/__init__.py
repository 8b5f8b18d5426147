"""The organisation tree (units, schools), school years, classes and memberships with roles."""
