from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "loket.signatures"
    label = "signatures"

    def ready(self) -> None:
        # Requests import nothing of signatures: what a request's page shows
        # of a signature request is handed to them here.
        from loket.requests import kinds
        from loket.requests.models import Request
        from loket.signatures.views import request_page

        kinds.register(
            Request.Kind.SIGNATURE,
            kinds.KindPages(
                detail=request_page.detail_context, edit=request_page.edit_context
            ),
        )
