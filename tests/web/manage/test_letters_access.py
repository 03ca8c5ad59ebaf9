"""Who reaches which dashboard page: someone else's letter looks exactly like a missing one."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.factories import make_addendum, make_letter, make_organizer
from undersigned.accounts.models import Membership, Role, User
from undersigned.letters.models import Addendum, Demand, Letter
from undersigned.letters.states import State

pytestmark = pytest.mark.django_db

# Every dashboard URL of a letter, the methods it answers, and the least role it needs.
LETTER_URLS = [
    ("manage:letter", {}, ("GET",), Role.VIEWER),
    ("manage:letter_edit", {}, ("GET", "POST"), Role.EDITOR),
    ("manage:letter_transition", {}, ("POST",), Role.OWNER),
    ("manage:text_edit", {}, ("GET", "POST"), Role.EDITOR),
    ("manage:text_remove", {}, ("POST",), Role.EDITOR),
    ("manage:demand_add", {}, ("GET", "POST"), Role.EDITOR),
    ("manage:demand_edit", {"demand_id": None}, ("GET", "POST"), Role.EDITOR),
    ("manage:demand_remove", {"demand_id": None}, ("POST",), Role.EDITOR),
    ("manage:demand_move", {"demand_id": None}, ("POST",), Role.EDITOR),
    ("manage:addendum_add", {}, ("GET", "POST"), Role.EDITOR),
    ("manage:addendum_remove", {"addendum_id": None}, ("POST",), Role.EDITOR),
    ("manage:member_invite", {}, ("GET", "POST"), Role.OWNER),
]
CASES = [
    pytest.param(name, kwargs, method, role, id=f"{name}-{method}")
    for name, kwargs, methods, role in LETTER_URLS
    for method in methods
]
_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}
# A form's CSRF token is masked afresh on every response; everything else must be identical.
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
# What each POST would change, so the test can see that nothing did.
_POST_DATA = {
    "target": "open",
    "language": "ar",
    "direction": "up",
    "title": "Taken over",
    "body": "Changed",
    "text_en": "Changed",
    "email": "intruder@example.org",
    "role": "owner",
    "kind": "markdown",
    "markdown": "x",
    "domains": "example.org",
    "goal": "1",
}


def _url(name: str, kwargs: dict[str, int | None], letter_slug: str, letter: Letter) -> str:
    demand = Demand.objects.filter(letter=letter).first()
    addendum = Addendum.objects.filter(letter=letter).first()
    ids = {"demand_id": demand.pk if demand else 0, "addendum_id": addendum.pk if addendum else 0}
    url = reverse(name, kwargs={"slug": letter_slug, **{key: ids[key] for key in kwargs}})
    return f"{url}?language=ar" if name == "manage:text_edit" else url


def _send(client: Client, method: str, url: str) -> tuple[int, str]:
    response = client.get(url) if method == "GET" else client.post(url, _POST_DATA)
    return response.status_code, _CSRF.sub("", response.content.decode())


def _snapshot(letter: Letter) -> tuple[object, ...]:
    letter.refresh_from_db()
    return (
        letter.state,
        list(letter.texts.values_list("language", "title", "body")),
        list(Demand.objects.filter(letter=letter).values_list("pk", "position")),
        Addendum.objects.filter(letter=letter).count(),
        list(Membership.objects.filter(letter=letter).values_list("user", "role")),
        letter.invitations.count(),
    )


@pytest.fixture
def theirs() -> Letter:
    letter = make_letter("their-letter", state=State.DRAFT, owner=make_organizer())
    make_addendum(letter)
    return letter


@pytest.fixture
def intruder(client: Client) -> User:
    user = make_organizer()
    make_letter("my-letter", owner=user)
    client.force_login(user)
    return user


@pytest.mark.parametrize(("name", "kwargs", "method", "role"), CASES)
def test_manage_other_organizers_letter_same_404_as_missing_letter(
    client: Client,
    intruder: User,
    theirs: Letter,
    name: str,
    kwargs: dict[str, int | None],
    method: str,
    role: Role,
) -> None:
    before = _snapshot(theirs)

    existing = _send(client, method, _url(name, kwargs, theirs.slug, theirs))
    missing = _send(client, method, _url(name, kwargs, "no-such-letter", theirs))

    assert existing[0] == 404
    assert existing == missing
    assert _snapshot(theirs) == before


@pytest.mark.parametrize("name", ["manage:demand_edit", "manage:demand_remove"])
def test_manage_demand_of_other_letter_404(
    client: Client, intruder: User, theirs: Letter, name: str
) -> None:
    demand = Demand.objects.filter(letter=theirs).first()
    assert demand is not None
    url = reverse(name, kwargs={"slug": "my-letter", "demand_id": demand.pk})

    response = client.post(url, {"text_en": "Changed"})

    assert response.status_code == 404
    assert Demand.objects.filter(letter=theirs).count() == 2


@pytest.mark.parametrize("demand_id", [0, 2**70])
def test_manage_out_of_range_id_in_url_404(client: Client, intruder: User, demand_id: int) -> None:
    url = reverse("manage:demand_edit", kwargs={"slug": "my-letter", "demand_id": demand_id})

    assert client.get(url).status_code == 404
    assert client.post(url, {"text_en": "Added?"}).status_code == 404
    assert Demand.objects.filter(letter__slug="my-letter").count() == 2


@pytest.mark.parametrize(("name", "kwargs", "method", "role"), CASES)
@pytest.mark.parametrize("held", [Role.VIEWER, Role.EDITOR])
def test_manage_role_below_requirement_404(
    client: Client,
    theirs: Letter,
    name: str,
    kwargs: dict[str, int | None],
    method: str,
    role: Role,
    held: Role,
) -> None:
    member = make_organizer()
    Membership.objects.create(user=member, letter=theirs, role=held)
    client.force_login(member)
    before = _snapshot(theirs)

    status, _ = _send(client, method, _url(name, kwargs, theirs.slug, theirs))

    assert (status == 404) == (_RANK[held] < _RANK[role])
    if _RANK[held] < _RANK[role]:
        assert _snapshot(theirs) == before


def test_manage_viewer_sees_letter_without_edit_controls(client: Client, theirs: Letter) -> None:
    viewer = make_organizer()
    Membership.objects.create(user=viewer, letter=theirs, role=Role.VIEWER)
    client.force_login(viewer)

    page = client.get(reverse("manage:letter", kwargs={"slug": theirs.slug})).content.decode()

    assert page.count("Cancel all active offers") == 1
    assert (page.count('<form method="post" action="/manage/'), page.count("/edit/")) == (0, 0)


@pytest.mark.parametrize(
    "url",
    ["/manage/", "/manage/letters/new/", "/manage/letters/their-letter/"],
)
def test_manage_anonymous_redirected_to_login(client: Client, theirs: Letter, url: str) -> None:
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


def test_manage_create_without_permission_404(client: Client) -> None:
    client.force_login(make_organizer(can_create_letters=False))

    assert client.get(reverse("manage:letter_create")).status_code == 404
    assert client.post(reverse("manage:letter_create"), {"slug": "mine"}).status_code == 404
    assert Letter.objects.count() == 0


def test_manage_upload_view_still_checks_csrf(theirs: Letter) -> None:
    owner = Membership.objects.get(letter=theirs).user
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(
        reverse("manage:addendum_add", kwargs={"slug": theirs.slug}),
        {"title": "T", "language": "en", "kind": "markdown", "markdown": "x"},
    )

    assert (response.status_code, Addendum.objects.filter(letter=theirs).count()) == (403, 1)
