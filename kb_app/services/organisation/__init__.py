"""The organisation as the admin keeps it: units, classes, users and roles, and the
import of them. (Apart from services/admin, which case/ and reporting/ use for
logins and tokens, so that no import cycle arises.)"""
