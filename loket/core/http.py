from django.http import HttpRequest

from loket.accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user of a page behind LoginRequiredMiddleware."""
    user = request.user
    assert isinstance(user, User), "login is required for this view"
    return user
