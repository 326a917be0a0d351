"""The web pages — trang web cho cán bộ và thanh tra: one module per screen, under ``/pages``
(:mod:`api.pages.router` is their router; templates and the style sheet are package data).
"""
