"""The JSON API — giao diện lập trình: ``/v1`` routes by resource (:mod:`api.http.routes`), the signed-in
user, roles and scope (:mod:`api.http.deps`), installed on an app by :func:`api.http.app.install`.
"""
