"""What the two web entrances share — phần chung của web: the services a request uses, problem details
(RFC 9457) for refusals, one answer per ``Idempotency-Key``, and the request log. The JSON API
(:mod:`api.http`) and the pages (:mod:`api.pages`) import this package, never each other.
"""
