"""The organizer dashboard: a letter's settings, texts, demands, addenda, organizers and state.

Every view of a letter starts with access_letter, which answers a missing letter and somebody
else's letter with the same 404, and a role too low for the view with that 404 as well. Each
change is one service call; a refusal is shown next to the field it concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.accounts.models import Role, User
from undersigned.accounts.permissions import (
    NotFound,
    access_can_create_letters,
    access_can_invite_organizers,
    access_letter,
    access_role,
    role_allows,
)
from undersigned.accounts.selectors import (
    letter_members,
    letter_pending_invitations,
    organizer_letters,
)
from undersigned.accounts.services import invitation_create
from undersigned.campaign import letters as services
from undersigned.letters.models import LANGUAGES
from undersigned.letters.presentation import direction
from undersigned.letters.states import EDITABLE_STATES, SIGNABLE_STATES, TRANSITIONS, State
from undersigned.letters.validation import upload_too_large_message
from undersigned.signing.selectors import letter_signed
from undersigned.web.manage.dashboard import (
    managed_addendum,
    managed_demand,
    managed_languages,
    managed_letter,
    managed_text,
)
from undersigned.web.manage.forms_accounts import CoOrganizerInviteForm, submit
from undersigned.web.manage.forms_letters import (
    AddendumForm,
    DemandForm,
    LetterCreateForm,
    LetterForm,
    TextForm,
)
from undersigned.web.public.versions import letter_versions

View = Callable[..., HttpResponse]
_MOVES = {"up": -1, "down": 1}
# The letter's own fields on its edit form (the title and text live in LetterText).
_SETTINGS = (
    "recipient_name",
    "recipient_email",
    "domains",
    "goal",
    "opens_at",
    "deadline",
    "deliver_at",
)
# The buttons an owner sees; delivery and archiving belong to their own screens.
_BUTTONS = {State.OPEN: "Open for signatures", State.CLOSED: "Close"}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required has run


def _data(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> MultiValueDict[str, Any] | None:
    return request.FILES if request.method == "POST" else None


def _act(request: HttpRequest, slug: str, action: Callable[[], object], done: str) -> HttpResponse:
    """A button's change: done or refused, the organizer lands back on the letter's page."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("manage:letter", slug=slug)


def _save(
    request: HttpRequest, form: Form, slug: str, action: Callable[[], object], done: str
) -> HttpResponse | None:
    """A form's change: back to the letter's page once saved, or None to show the form again."""
    if form.is_valid() and submit(form, action) is not None:
        messages.success(request, done)
        return redirect("manage:letter", slug=slug)
    return None


def _upload_limit(view: View) -> View:
    """Refuses an upload by its Content-Length, before anything reads the body to disk.

    The CSRF middleware would read the body first, so the view is exempt from it and checks the
    token itself, after the size check.
    """
    protected = csrf_protect(view)

    @wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.ADDENDUM_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            context = {"status": 413, "message": upload_too_large_message()}
            return render(request, "error.html", context, status=413)
        return protected(request, *args, **kwargs)

    return csrf_exempt(limited)


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "memberships": organizer_letters(user=user),
        "can_create": access_can_create_letters(user=user),
        "can_invite": access_can_invite_organizers(user=user),
    }
    return render(request, "manage/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def letter_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not access_can_create_letters(user=user):
        raise NotFound()
    form = LetterCreateForm(_data(request))
    if form.is_valid():
        letter = submit(form, lambda: services.letter_create(user=user, **form.cleaned_data))
        if letter is not None:
            messages.success(request, "The letter is saved as a draft.")
            return redirect("manage:letter", slug=letter.slug)
    return render(request, "manage/letter_form.html", {"form": form})


@login_required
@require_safe
def letter_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    letter = access_letter(user=user, slug=slug)
    role = access_role(user=user, letter=letter)
    managed = managed_letter(letter=letter)
    context = {
        "managed": managed,
        "letter": letter,
        "role": role,
        "state": State(letter.state),
        "can_edit": role_allows(role, Role.EDITOR) and letter.state in EDITABLE_STATES,
        "is_owner": role_allows(role, Role.OWNER),
        "buttons": [(t, label) for t, label in _BUTTONS.items() if t in TRANSITIONS[letter.state]],
        "members": letter_members(letter=letter),
        "invitations": letter_pending_invitations(letter=letter),
        "new_languages": [
            (code, name) for code, name in LANGUAGES.items() if code not in managed.languages
        ],
        "amending": letter.state in SIGNABLE_STATES and letter_signed(letter=letter),
        "versions": letter_versions(letter=letter),
    }
    return render(request, "manage/letter.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def letter_edit(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    text = managed_text(letter=letter, language=letter.default_language)
    initial = {
        "title": text.title if text else "",
        "body": text.body if text else "",
        **{name: getattr(letter, name) for name in _SETTINGS},
    }
    form = LetterForm(_data(request), initial=initial, language=letter.default_language)
    saved = _save(
        request,
        form,
        slug,
        lambda: services.letter_update(letter=letter, **form.cleaned_data),
        "The letter is saved.",
    )
    return saved or render(request, "manage/letter_form.html", {"form": form, "letter": letter})


@login_required
@require_http_methods(["GET", "POST"])
def text_edit(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    language = request.GET.get("language", "")
    if language not in LANGUAGES:
        raise NotFound()
    managed = managed_letter(letter=letter)
    existing = next((text for text in managed.texts if text.language == language), None)
    form = TextForm(
        _data(request),
        initial={"title": existing.title, "body": existing.body} if existing else None,
        demands=managed.demands,
        language=language,
        original=letter.default_language,
        amending=letter.state in SIGNABLE_STATES,
    )
    saved = _save(
        request,
        form,
        slug,
        lambda: services.letter_text_set(
            letter=letter,
            language=language,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            demands=form.demand_texts(),
            note=form.cleaned_data.get("note", ""),
        ),
        f"The text in {LANGUAGES[language]} is saved.",
    )
    context = {
        "form": form,
        "letter": letter,
        "language": language,
        "language_name": LANGUAGES[language],
        "direction": direction(language),
    }
    return saved or render(request, "manage/text_form.html", context)


@login_required
@require_POST
def text_remove(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    language = request.POST.get("language", "")
    return _act(
        request,
        slug,
        lambda: services.letter_text_remove(
            letter=letter, language=language, note=request.POST.get("note", "")
        ),
        "The translation is removed.",
    )


def _demand_form(request: HttpRequest, slug: str, demand_id: int | None) -> HttpResponse:
    """Adding and editing a demand share one page: a text field per language of the letter."""
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    managed = managed_demand(letter=letter, demand_id=demand_id) if demand_id is not None else None
    languages = managed_languages(letter=letter)
    initial = {f"text_{lang}": text for lang, text in managed.texts.items()} if managed else None
    amending = letter.state in SIGNABLE_STATES
    form = DemandForm(_data(request), initial=initial, languages=languages, amending=amending)
    saved = _save(
        request,
        form,
        slug,
        lambda: (
            services.demand_update(
                demand=managed.demand, texts=form.texts(), note=form.cleaned_data.get("note", "")
            )
            if managed
            else services.demand_add(
                letter=letter, texts=form.texts(), note=form.cleaned_data.get("note", "")
            )
        ),
        "The demand is saved.",
    )
    context = {"form": form, "letter": letter, "adding": managed is None}
    return saved or render(request, "manage/demand_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def demand_add(request: HttpRequest, slug: str) -> HttpResponse:
    return _demand_form(request, slug, None)


@login_required
@require_http_methods(["GET", "POST"])
def demand_edit(request: HttpRequest, slug: str, demand_id: int) -> HttpResponse:
    return _demand_form(request, slug, demand_id)


@login_required
@require_POST
def demand_remove(request: HttpRequest, slug: str, demand_id: int) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    demand = managed_demand(letter=letter, demand_id=demand_id).demand
    note = request.POST.get("note", "")
    return _act(
        request,
        slug,
        lambda: services.demand_remove(demand=demand, note=note),
        "The demand is removed.",
    )


@login_required
@require_POST
def demand_move(request: HttpRequest, slug: str, demand_id: int) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    demand = managed_demand(letter=letter, demand_id=demand_id).demand
    offset = _MOVES.get(request.POST.get("direction", ""), 0)
    return _act(
        request,
        slug,
        lambda: services.demand_move(
            demand=demand, offset=offset, note=request.POST.get("note", "")
        ),
        "The demand is moved.",
    )


@login_required
@require_http_methods(["GET", "POST"])
@_upload_limit
def addendum_add(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    originals = managed_letter(letter=letter).originals
    form = AddendumForm(
        _data(request),
        _files(request),
        initial={"language": letter.default_language},
        originals=[(original.pk, original.title) for original in originals],
    )

    def add() -> object:
        data = dict(form.cleaned_data)
        wanted = data.pop("translation_of")
        source = next((original for original in originals if original.pk == wanted), None)
        return services.addendum_add(letter=letter, translation_of=source, **data)

    saved = _save(request, form, slug, add, "The addendum is added.")
    context = {
        "form": form,
        "letter": letter,
        "max_megabytes": settings.ADDENDUM_MAX_BYTES // 2**20,
    }
    return saved or render(request, "manage/addendum_form.html", context)


@login_required
@require_POST
def addendum_remove(request: HttpRequest, slug: str, addendum_id: int) -> HttpResponse:
    letter = access_letter(user=_user(request), slug=slug, role=Role.EDITOR)
    addendum = managed_addendum(letter=letter, addendum_id=addendum_id)
    return _act(
        request,
        slug,
        lambda: services.addendum_remove(addendum=addendum),
        "The addendum is removed.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    letter = access_letter(user=user, slug=slug, role=Role.OWNER)
    form = CoOrganizerInviteForm(_data(request))
    saved = _save(
        request,
        form,
        slug,
        lambda: invitation_create(invited_by=user, letter=letter, **form.cleaned_data),
        "The invitation is on its way.",
    )
    return saved or render(request, "manage/invite_form.html", {"form": form, "letter": letter})


@login_required
@require_POST
def letter_transition(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    letter = access_letter(user=user, slug=slug, role=Role.OWNER)
    target = request.POST.get("target", "")
    label = State(target).label.lower() if target in State.values else ""
    return _act(
        request,
        slug,
        lambda: services.letter_transition(letter=letter, target=target, user=user),
        f"The letter is now {label}.",
    )
