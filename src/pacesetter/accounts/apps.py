from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pacesetter.accounts"
    label = "accounts"
