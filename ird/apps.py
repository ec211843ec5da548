from django.apps import AppConfig


class IrdConfig(AppConfig):
    name = "ird"
